"""Face images annotated with 5-point landmarks (and face boxes), for landmark regression.

Every dataset here yields items ``dict(img_path=..., landmarks=..., bbox=...)``:
``landmarks`` is a float32 ``(5, 2)`` array of ``(x, y)`` in pixels of the
stored image (left eye, right eye, nose, left and right mouth corners, "left"
meaning image left), ``bbox`` (when the dataset has boxes) a float32
``[x1, y1, x2, y2]`` in the same pixels.
"""

import csv
import json
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset

from facerec.registry import DATASETS

from .annotation_io import (
    AnnotationError,
    FileIndex,
    LandmarkSourceMixin,
    finite_float32,
    iter_lines,
    log_skipped_images,
    missing_image_error,
    parse_int,
)
from .pipeline import build_pipeline

#: Names of the five points, in the order of CelebA's annotation columns.
FIVE_POINT_NAMES = ('lefteye', 'righteye', 'nose', 'leftmouth', 'rightmouth')
#: Columns of CelebA's landmark files (after ``image_id``).
CELEBA_LANDMARK_COLUMNS = tuple(f'{n}_{a}' for n in FIVE_POINT_NAMES for a in 'xy')
#: Columns of CelebA's ``list_bbox_celeba.txt`` (after ``image_id``).
CELEBA_BBOX_COLUMNS = ('x_1', 'y_1', 'width', 'height')
#: Headers of VGGFace2's ``loose_bb_*.csv`` and ``loose_landmark_*.csv``.
VGGFACE2_BBOX_HEADER = ('NAME_ID', 'X', 'Y', 'W', 'H')
VGGFACE2_LANDMARK_HEADER = ('NAME_ID', *(f'P{i}{a}' for i in range(1, 6) for a in 'XY'))

SPLITS = {'train': 0, 'val': 1, 'test': 2}

#: Rows of a table file: image name -> (values, line number).
Rows = Dict[str, Tuple[np.ndarray, int]]


def _parse_row(path: str, lineno: int, fields: Sequence[str], num_values: int) -> np.ndarray:
    """The numbers of a row ``name v1 ... vN`` as a float32 array."""
    if len(fields) != 1 + num_values:
        raise AnnotationError(
            path,
            lineno,
            f'expected an image name and {num_values} numbers, got {len(fields)} fields',
        )
    try:
        values = np.array([float(v) for v in fields[1:]], dtype=np.float64)
    except ValueError:
        raise AnnotationError(path, lineno, f'non-numeric value in {fields!r}') from None
    if not finite_float32(values):
        raise AnnotationError(path, lineno, 'values must be finite')
    return values.astype(np.float32)


def _add_row(rows: Rows, path: str, lineno: int, name: str, values: np.ndarray) -> None:
    if not name:
        raise AnnotationError(path, lineno, 'empty image name')
    if name in rows:
        raise AnnotationError(
            path, lineno, f'image {name!r} is listed twice (first on line {rows[name][1]})'
        )
    rows[name] = (values, lineno)


def read_count_table(path: str, columns: Sequence[str]) -> Rows:
    """Read a CelebA-style table: a count line, a header line, then rows.

    The layout of ``list_landmarks_align_celeba.txt``, ``list_landmarks_celeba.txt``
    and ``list_bbox_celeba.txt``: the first line is the number of rows, the
    second the column names (with or without a leading ``image_id``), then
    one ``name v1 ... vN`` row per image, fields separated by runs of spaces.
    CRLF line ends are fine.

    Args:
        path: The file.
        columns: The expected column names after ``image_id``.

    Returns:
        Mapping from image name to ``(values, line number)``, in file order.
    """
    lines = iter_lines(path)
    first = next(lines, None)
    if first is None:
        raise AnnotationError(path, 1, 'empty file')
    count_no, count_line = first
    count = parse_int(path, count_no, count_line, 'the first line (the number of images)')
    header = next(lines, None)
    if header is None:
        raise AnnotationError(path, count_no + 1, 'missing the header line')
    names = header[1].split()
    if names[:1] == ['image_id']:
        names = names[1:]
    if tuple(names) != tuple(columns):
        raise AnnotationError(
            path, header[0], f'expected the header {" ".join(columns)!r}, got {header[1]!r}'
        )
    rows: Rows = {}
    for lineno, line in lines:
        fields = line.split()
        _add_row(rows, path, lineno, fields[0], _parse_row(path, lineno, fields, len(columns)))
    if len(rows) != count:
        raise AnnotationError(
            path, count_no, f'the first line announces {count} images, the file has {len(rows)}'
        )
    return rows


def read_csv_table(path: str, header: Sequence[str]) -> Rows:
    """Read a CSV table: a header line ``name_column,c1,...,cN`` then rows.

    The header is compared case-insensitively with ``header``; names may be
    quoted (VGGFace2 writes ``"n000002/0001_01",161,140,224,324``).

    Returns:
        Mapping from image name to ``(values, line number)``, in file order.
    """
    lines = iter_lines(path)
    first = next(lines, None)
    if first is None:
        raise AnnotationError(path, 1, 'empty file')
    head_no, head = first
    names = [n.strip().lstrip('\ufeff').lower() for n in next(csv.reader([head]))]
    if names != [h.lower() for h in header]:
        raise AnnotationError(
            path, head_no, f'expected the header {",".join(header)!r}, got {head!r}'
        )
    rows: Rows = {}
    for lineno, line in lines:
        fields = [f.strip() for f in next(csv.reader([line]))]
        _add_row(rows, path, lineno, fields[0], _parse_row(path, lineno, fields, len(header) - 1))
    return rows


def _is_csv(path: str) -> bool:
    """Whether a table file is CSV: by extension, else by a comma on its first line."""
    if path.lower().endswith('.csv'):
        return True
    first = next(iter_lines(path), None)
    return first is not None and ',' in first[1]


def read_partition_file(path: str) -> Dict[str, int]:
    """Read CelebA's ``list_eval_partition.txt`` (``000001.jpg 0``; 0 train, 1 val, 2 test).

    The CSV form (``image_id,partition`` header, then ``000001.jpg,0``) is read too.
    """
    partition: Dict[str, int] = {}
    for lineno, line in iter_lines(path):
        fields = line.replace(',', ' ').split()
        if not partition and len(fields) == 2 and fields[0].lstrip('\ufeff') == 'image_id':
            continue
        if len(fields) != 2 or fields[1] not in ('0', '1', '2'):
            raise AnnotationError(path, lineno, f'expected "image 0|1|2", got {line!r}')
        partition[fields[0]] = int(fields[1])
    return partition


_JSON_SPACE = re.compile(r'[ \t\n\r]*')


def _json_list_item_lines(text: str) -> List[int]:
    """The line on which each item of a JSON list starts (``text`` is known to be valid)."""
    decoder = json.JSONDecoder()
    pos = _JSON_SPACE.match(text, _JSON_SPACE.match(text).end() + 1).end()  # past '['
    lines: List[int] = []
    lineno, counted = 1, 0
    while text[pos] != ']':
        lineno += text.count('\n', counted, pos)
        counted = pos
        lines.append(lineno)
        pos = _JSON_SPACE.match(text, decoder.raw_decode(text, pos)[1]).end()
        if text[pos] == ',':
            pos = _JSON_SPACE.match(text, pos + 1).end()
    return lines


def read_ndg_entries(path: str, num_points: int = 5) -> List[Tuple[str, np.ndarray, int]]:
    """Read the JSON list of :class:`NDGLandmarks`: ``[{"path": ..., "lm": [[x, y], ...]}]``.

    Returns:
        ``(path, landmarks, line)`` of every entry: the path as written, the
        ``(num_points, 2)`` float32 landmarks and the line the entry starts on.

    Raises:
        FileNotFoundError: No such file.
        AnnotationError: The file is not UTF-8 JSON, not a list, or an entry is
            malformed (naming the file, the line and the entry index).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Annotation file not found: {path}')
    with open(path, 'rb') as f:
        data = f.read()
    try:
        text = data.decode('utf-8-sig')
    except UnicodeDecodeError as e:
        lineno = data.count(b'\n', 0, e.start) + 1
        raise AnnotationError(path, lineno, f'not UTF-8 text (byte {data[e.start]:#04x})') from None
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as e:
        raise AnnotationError(
            path, e.lineno, f'invalid JSON at column {e.colno}: {e.msg}'
        ) from None
    except RecursionError:
        raise AnnotationError(path, 1, 'JSON nested too deeply') from None
    if not isinstance(entries, list):
        raise AnnotationError(
            path,
            1,
            f'expected a JSON list of {{"path", "lm"}} entries, got a {type(entries).__name__}',
        )
    parsed = []
    for i, (entry, lineno) in enumerate(zip(entries, _json_list_item_lines(text))):
        try:
            parsed.append((*_ndg_entry(entry, num_points), lineno))
        except ValueError as e:
            raise AnnotationError(path, lineno, f'entry {i}: {e}') from None
    return parsed


def _ndg_entry(entry: object, num_points: int) -> Tuple[str, np.ndarray]:
    """The path and float32 landmarks of an NDG entry; ValueError says what is wrong."""
    if not isinstance(entry, dict):
        raise ValueError(f'expected an object with "path" and "lm", got {entry!r}')
    missing = [k for k in ('path', 'lm') if k not in entry]
    if missing:
        raise ValueError(f'missing key(s) {missing} in {entry!r}')
    if not isinstance(entry['path'], str) or not entry['path']:
        raise ValueError('"path" must be a non-empty string')
    lm = entry['lm']
    try:
        points = np.array(lm, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f'"lm" must be a list of [x, y] numbers, got {lm!r}') from None
    if points.shape != (num_points, 2):
        got = f'{len(lm)} items' if isinstance(lm, list) else repr(lm)
        raise ValueError(
            f'expected {num_points} [x, y] points in "lm", got {got} (shape {points.shape})'
        )
    if not finite_float32(points):
        raise ValueError('landmark coordinates must be finite')
    return entry['path'], points.astype(np.float32)


class BaseLandmarkDataset(LandmarkSourceMixin, BaseDataset):
    """Common set-up of the landmark datasets.

    Builds the pipeline with facerec's TRANSFORMS and accepts ``data_prefix``
    as a plain string (the image folder).

    Args:
        data_root: Root joined to the relative annotation files and image folder.
        data_prefix: Image folder, a string or ``dict(img_path=...)``.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self, data_root: str = '', data_prefix: Union[str, dict] = '', **kwargs):
        if isinstance(data_prefix, str):
            data_prefix = dict(img_path=data_prefix)
        kwargs['pipeline'] = build_pipeline(kwargs.get('pipeline', []))
        super().__init__(data_root=data_root, data_prefix=data_prefix, **kwargs)

    @property
    def img_root(self) -> str:
        """The image folder (``data_root`` joined with ``data_prefix``)."""
        return self.data_prefix.get('img_path', '') or self.data_root

    @staticmethod
    def _under_root(data_root: str, path: Optional[str]) -> Optional[str]:
        if path and data_root and not osp.isabs(path):
            return osp.join(data_root, path)
        return path

    def _no_items(self, detail: str) -> ValueError:
        return ValueError(f'{self.__class__.__name__}: no images found ({detail})')


@DATASETS.register_module()
class NDGLandmarks(BaseLandmarkDataset):
    """Face crops listed in a JSON file with their 5 landmarks.

    The annotation file is a JSON list
    ``[{"path": "rel/or/abs.jpg", "lm": [[x, y], ...]}, ...]``: one entry per
    face crop, its landmarks in pixels of the crop. Relative paths are joined
    to ``data_root``/``data_prefix``, or to the folder of the JSON file when
    both are empty.

    Args:
        ann_file: The JSON file.
        data_root: Root joined to a relative ``ann_file`` and ``data_prefix``.
        data_prefix: Image folder the relative paths start from.
        num_points: Number of points of every entry.
        check_images: Check at construction that every image file exists.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.

    Raises:
        AnnotationError: The file is not valid JSON, or an entry is malformed
            (naming the file, the line and the entry index).
        FileNotFoundError: An image file is missing (naming it and the entry).
    """

    def __init__(
        self,
        ann_file: str,
        data_root: str = '',
        data_prefix: Union[str, dict] = '',
        num_points: int = 5,
        check_images: bool = True,
        **kwargs,
    ):
        if num_points < 1:
            raise ValueError(f'num_points must be positive, got {num_points}')
        self.num_points = num_points
        self.check_images = check_images
        super().__init__(data_root=data_root, data_prefix=data_prefix, ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        entries = read_ndg_entries(self.ann_file, self.num_points)
        self.landmark_source_file = self.ann_file
        root = self.img_root or osp.dirname(self.ann_file)
        files = FileIndex()
        data_list = []
        for i, (path, landmarks, lineno) in enumerate(entries):
            img_path = osp.join(root, path)
            if self.check_images and not files.exists(img_path):
                raise FileNotFoundError(
                    f'Image file not found: {img_path} (from {self.ann_file}, line {lineno}, '
                    f'entry {i})'
                )
            data_list.append(dict(img_path=img_path, landmarks=landmarks, landmarks_line=lineno))
        if not data_list:
            raise self._no_items(f'{self.ann_file} lists no entries')
        return data_list


@DATASETS.register_module()
class CelebALandmarks(BaseLandmarkDataset):
    """CelebA's 5-point landmarks, aligned or in the wild.

    ``ann_file`` is one of the official landmark lists:

    * ``list_landmarks_align_celeba.txt`` (for ``img_align_celeba``) or
      ``list_landmarks_celeba.txt`` (for the in-the-wild ``img_celeba``): a
      count line, the header ``lefteye_x lefteye_y ... rightmouth_y``, then
      ``000001.jpg 69  109  106 ...`` rows (runs of spaces, CRLF line ends);
    * the CSV form (``image_id,lefteye_x,...`` header, ``000001.jpg,69,109,...``),
      detected by the ``.csv`` extension or a comma on the first line.

    With ``bbox_file`` (``list_bbox_celeba.txt``: count line, header
    ``image_id x_1 y_1 width height``, rows; or its CSV form) every item also
    gets ``bbox = [x_1, y_1, x_1 + width, y_1 + height]``; every annotated
    image must have a box.

    Args:
        data_root: The CelebA folder; relative files are joined to it.
        ann_file: The landmark list.
        data_prefix: Image folder.
        partition_file: ``list_eval_partition.txt`` (``000001.jpg 0``; 0 train,
            1 val, 2 test), or None with ``split='all'``.
        split: ``'train'``, ``'val'``, ``'test'`` or ``'all'``.
        scale: Multiplies the annotation coordinates: the size of the stored
            images relative to the annotated ones (0.5 for images stored at
            half size).
        bbox_file: Optional face-box list for the in-the-wild images.
        skip_missing_images: Use only the annotated images present in the
            image folder (for a subset of CelebA); otherwise a missing image
            is an error.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.

    Raises:
        AnnotationError: A malformed line, header, or a count line that does
            not match the rows (naming the file and line).
    """

    def __init__(
        self,
        data_root: str = '',
        ann_file: str = 'list_landmarks_align_celeba.txt',
        data_prefix: Union[str, dict] = 'img_align_celeba',
        partition_file: Optional[str] = 'list_eval_partition.txt',
        split: str = 'train',
        scale: float = 1.0,
        bbox_file: Optional[str] = None,
        skip_missing_images: bool = False,
        **kwargs,
    ):
        if split not in (*SPLITS, 'all'):
            raise ValueError(f'split must be one of {[*SPLITS, "all"]}, got {split!r}')
        if split != 'all' and not partition_file:
            raise ValueError(f"split={split!r} needs a partition_file; use split='all' without one")
        if not scale > 0:
            raise ValueError(f'scale must be positive, got {scale}')
        self.split = split
        self.scale = float(scale)
        self.partition_file = self._under_root(data_root, partition_file)
        self.bbox_file = self._under_root(data_root, bbox_file)
        self.skip_missing_images = skip_missing_images
        super().__init__(data_root=data_root, data_prefix=data_prefix, ann_file=ann_file, **kwargs)

    @staticmethod
    def _read_table(path: str, columns: Sequence[str]) -> Rows:
        if _is_csv(path):
            return read_csv_table(path, ('image_id', *columns))
        return read_count_table(path, columns)

    def _box_of(self, boxes: Rows, name: str, lineno: int) -> np.ndarray:
        if name not in boxes:
            raise KeyError(
                f'{self.bbox_file} has no box for image {name!r} '
                f'(listed in {self.ann_file}, line {lineno})'
            )
        (x, y, w, h), box_line = boxes[name]
        if w <= 0 or h <= 0:
            raise AnnotationError(self.bbox_file, box_line, f'box of {name!r} has no area')
        return np.array([x, y, x + w, y + h], dtype=np.float32) * np.float32(self.scale)

    def load_data_list(self) -> List[dict]:
        rows = self._read_table(self.ann_file, CELEBA_LANDMARK_COLUMNS)
        boxes = self._read_table(self.bbox_file, CELEBA_BBOX_COLUMNS) if self.bbox_file else None
        partition = read_partition_file(self.partition_file) if self.split != 'all' else None
        wanted = SPLITS.get(self.split)
        self.landmark_source_file = self.ann_file
        files = FileIndex()
        data_list, skipped = [], 0
        for name, (values, lineno) in rows.items():
            if partition is not None:
                if name not in partition:
                    raise KeyError(f'{self.partition_file} has no entry for image {name!r}')
                if partition[name] != wanted:
                    continue
            img_path = osp.join(self.img_root, name)
            if not files.exists(img_path):
                if not self.skip_missing_images:
                    raise missing_image_error(img_path, self.ann_file, lineno)
                skipped += 1
                continue
            item = dict(
                img_path=img_path,
                img_id=name,
                landmarks=values.reshape(5, 2) * np.float32(self.scale),
                landmarks_line=lineno,
            )
            if boxes is not None:
                item['bbox'] = self._box_of(boxes, name, lineno)
            data_list.append(item)
        log_skipped_images(self, skipped, self.ann_file, self.img_root)
        if not data_list:
            raise self._no_items(f'split {self.split!r} of {self.ann_file} under {self.img_root!r}')
        return data_list


@DATASETS.register_module()
class VGGFace2Landmarks(BaseLandmarkDataset):
    """VGGFace2 images with the official loose face boxes and 5 landmarks.

    Reads ``bb_landmark/loose_bb_<split>.csv`` (header ``NAME_ID,X,Y,W,H``,
    rows ``"n000002/0001_01",161,140,224,324``) and
    ``bb_landmark/loose_landmark_<split>.csv`` (header
    ``NAME_ID,P1X,P1Y,...,P5Y``); the image of ``n000002/0001_01`` is
    ``<data_prefix>/n000002/0001_01.jpg``. Items carry
    ``bbox = [X, Y, X + W, Y + H]`` and ``identity`` (``'n000002'``). The two
    files must list the same images.

    Args:
        data_root: The VGGFace2 folder; relative files are joined to it.
        data_prefix: Image folder (``'train'`` or ``'test'``).
        bbox_file: The loose box CSV.
        landmark_file: The loose landmark CSV.
        img_suffix: Extension of the image files.
        skip_missing_images: Use only the images present in the image folder;
            otherwise a missing image is an error.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(
        self,
        data_root: str = '',
        data_prefix: Union[str, dict] = 'train',
        bbox_file: str = 'bb_landmark/loose_bb_train.csv',
        landmark_file: str = 'bb_landmark/loose_landmark_train.csv',
        img_suffix: str = '.jpg',
        skip_missing_images: bool = False,
        **kwargs,
    ):
        self.bbox_file = self._under_root(data_root, bbox_file)
        self.img_suffix = img_suffix
        self.skip_missing_images = skip_missing_images
        kwargs['ann_file'] = landmark_file
        super().__init__(data_root=data_root, data_prefix=data_prefix, **kwargs)

    @property
    def landmark_file(self) -> str:
        """The landmark CSV (joined to ``data_root``)."""
        return self.ann_file

    @staticmethod
    def _check_same_images(rows_a: Rows, file_a: str, rows_b: Rows, file_b: str) -> None:
        extra = [n for n in rows_a if n not in rows_b]
        if extra:
            name = extra[0]
            raise ValueError(
                f'{len(extra)} image(s) of {file_a} are not in {file_b}, '
                f'e.g. {name!r} ({file_a}, line {rows_a[name][1]})'
            )

    def load_data_list(self) -> List[dict]:
        landmarks = read_csv_table(self.landmark_file, VGGFACE2_LANDMARK_HEADER)
        boxes = read_csv_table(self.bbox_file, VGGFACE2_BBOX_HEADER)
        self._check_same_images(landmarks, self.landmark_file, boxes, self.bbox_file)
        self._check_same_images(boxes, self.bbox_file, landmarks, self.landmark_file)
        self.landmark_source_file = self.landmark_file
        files = FileIndex()
        data_list, skipped = [], 0
        for name, (values, lineno) in landmarks.items():
            (x, y, w, h), box_line = boxes[name]
            if w <= 0 or h <= 0:
                raise AnnotationError(self.bbox_file, box_line, f'box of {name!r} has no area')
            img_path = osp.join(self.img_root, name + self.img_suffix)
            if not files.exists(img_path):
                if not self.skip_missing_images:
                    raise missing_image_error(img_path, self.landmark_file, lineno)
                skipped += 1
                continue
            data_list.append(
                dict(
                    img_path=img_path,
                    img_id=name,
                    identity=name.split('/')[0],
                    landmarks=values.reshape(5, 2),
                    landmarks_line=lineno,
                    bbox=np.array([x, y, x + w, y + h], dtype=np.float32),
                )
            )
        log_skipped_images(self, skipped, self.landmark_file, self.img_root)
        if not data_list:
            raise self._no_items(f'{self.landmark_file} under {self.img_root!r}')
        return data_list
