"""Face images annotated with 5-point landmarks (and face boxes), for landmark regression.

Every dataset here yields items ``dict(img_path=..., landmarks=..., bbox=...)``:
``landmarks`` is a float32 ``(5, 2)`` array of ``(x, y)`` in pixels of the
stored image (left eye, right eye, nose, left and right mouth corners, "left"
meaning image left), ``bbox`` (when the dataset has boxes) a float32
``[x1, y1, x2, y2]`` in the same pixels.
"""

import json
import os.path as osp
import re
from typing import List, Optional, Tuple, Union

import numpy as np

from facerec.registry import DATASETS
from facerec.utils.checks import check_positive_int, check_positive_number

from .annotation_io import AnnotationError, FileIndex, Rows, finite_float32, read_csv_table
from .base_dataset import BaseFaceDataset
from .celeba_annotations import (
    CELEBA_BBOX_COLUMNS,
    CELEBA_LANDMARK_COLUMNS,
    CelebASplit,
    check_split,
    read_celeba_table,
)

#: Headers of VGGFace2's ``loose_bb_*.csv`` and ``loose_landmark_*.csv``.
VGGFACE2_BBOX_HEADER = ('NAME_ID', 'X', 'Y', 'W', 'H')
VGGFACE2_LANDMARK_HEADER = ('NAME_ID', *(f'P{i}{a}' for i in range(1, 6) for a in 'XY'))

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


class BaseLandmarkDataset(BaseFaceDataset):
    """Common set-up of the landmark datasets (see :class:`BaseFaceDataset`).

    Args:
        data_root: Root joined to the relative annotation files and image folder.
        data_prefix: Image folder, a string or ``dict(img_path=...)``.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

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
        self.num_points = check_positive_int('num_points', num_points)
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
        self.split = check_split(split)
        if split != 'all' and not partition_file:
            raise ValueError(f"split={split!r} needs a partition_file; use split='all' without one")
        self.scale = check_positive_number('scale', scale)
        self.partition_file = self._under_root(data_root, partition_file)
        self.bbox_file = self._under_root(data_root, bbox_file)
        self.skip_missing_images = skip_missing_images
        super().__init__(data_root=data_root, data_prefix=data_prefix, ann_file=ann_file, **kwargs)

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
        rows = read_celeba_table(self.ann_file, CELEBA_LANDMARK_COLUMNS)
        boxes = read_celeba_table(self.bbox_file, CELEBA_BBOX_COLUMNS) if self.bbox_file else None
        in_split = CelebASplit(self.split, self.partition_file)
        self.landmark_source_file = self.ann_file
        images = self._image_checker(self.ann_file)
        data_list = []
        for name, (values, lineno) in rows.items():
            if name not in in_split:
                continue
            img_path = osp.join(self.img_root, name)
            if not images.present(img_path, lineno):
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
        images.log_skipped()
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
        images = self._image_checker(self.landmark_file)
        data_list = []
        for name, (values, lineno) in landmarks.items():
            (x, y, w, h), box_line = boxes[name]
            if w <= 0 or h <= 0:
                raise AnnotationError(self.bbox_file, box_line, f'box of {name!r} has no area')
            img_path = osp.join(self.img_root, name + self.img_suffix)
            if not images.present(img_path, lineno):
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
        images.log_skipped()
        if not data_list:
            raise self._no_items(f'{self.landmark_file} under {self.img_root!r}')
        return data_list
