"""Readers of the plain-text annotation files, with errors naming file and line."""

import csv
import os
import os.path as osp
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

import numpy as np
from mmengine.logging import print_log

#: The largest float32: annotation numbers are stored as float32 and must stay finite.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def finite_float32(values: np.ndarray) -> bool:
    """Whether all ``values`` are finite and stay finite as float32."""
    return bool((np.abs(values) <= FLOAT32_MAX).all())


class AnnotationError(ValueError):
    """A malformed annotation file; the message names the file and line."""

    def __init__(self, path: str, lineno: int, message: str):
        self.path, self.lineno = path, lineno
        super().__init__(f'{path}, line {lineno}: {message}')


class FileIndex:
    """Answers "does this file exist?" from one directory listing per folder.

    Checking the images of a list of millions costs one ``os.listdir`` per
    image folder instead of one ``stat`` per image.
    """

    def __init__(self):
        self._listings: Dict[str, Set[str]] = {}

    def exists(self, path: str) -> bool:
        folder, name = osp.split(path)
        if folder not in self._listings:
            self._listings[folder] = set(os.listdir(folder)) if osp.isdir(folder) else set()
        return name in self._listings[folder]


def missing_image_error(img_path: str, path: str, lineno: int) -> FileNotFoundError:
    """The error for an image that line ``lineno`` of the list ``path`` names but is missing."""
    return FileNotFoundError(
        f'Image file not found: {img_path} (listed in {path}, line {lineno}); '
        'set skip_missing_images=True to use a subset'
    )


class ImageChecker:
    """Checks that the images an annotation file lists exist, and counts the ones left out.

    Args:
        owner: Names the dataset in the log line (its class name is used).
        list_file: The annotation file that lists the images.
        img_root: The image folder, named in the log line.
        skip_missing: Leave out missing images instead of raising.
        enabled: Check at all; when False every image counts as present.
    """

    def __init__(
        self,
        owner: object,
        list_file: str,
        img_root: str,
        skip_missing: bool = False,
        enabled: bool = True,
    ):
        self.owner, self.list_file, self.img_root = owner, list_file, img_root
        self.skip_missing = skip_missing
        self.files = FileIndex() if enabled or skip_missing else None
        self.skipped = 0

    def present(self, img_path: str, lineno: int) -> bool:
        """Whether to use the image listed on line ``lineno``.

        Raises:
            FileNotFoundError: The image is missing and ``skip_missing`` is False.
        """
        if self.files is None or self.files.exists(img_path):
            return True
        if not self.skip_missing:
            raise missing_image_error(img_path, self.list_file, lineno)
        self.skipped += 1
        return False

    def log_skipped(self) -> None:
        """Log how many listed images were left out as missing (``skip_missing_images``)."""
        if self.skipped:
            print_log(
                f'{type(self.owner).__name__}: skipped {self.skipped} image(s) listed in '
                f'{self.list_file} but missing under {self.img_root!r} (skip_missing_images=True)',
                logger='current',
            )


def iter_lines(path: str) -> Iterator[Tuple[int, str]]:
    """Yield ``(line number, stripped line)`` of the non-empty lines of a text file.

    Raises:
        FileNotFoundError: No such file.
        AnnotationError: A line is not UTF-8 text.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Annotation file not found: {path}')
    with open(path, encoding='utf-8', errors='surrogateescape') as f:
        for lineno, line in enumerate(f, 1):
            if not line.isascii():
                check_utf8(path, lineno, line)
            line = line.strip()
            if line:
                yield lineno, line


def check_utf8(path: str, lineno: int, text: str) -> None:
    """Raise :class:`AnnotationError` if a line read with ``'surrogateescape'`` is not UTF-8."""
    try:
        text.encode('utf-8')
    except UnicodeEncodeError as e:
        byte = ord(text[e.start]) - 0xDC00
        raise AnnotationError(
            path, lineno, f'not UTF-8 text (byte {byte:#04x} at character {e.start + 1})'
        ) from None


def load_landmark_file(path: str, num_points: int = 5) -> Dict[str, np.ndarray]:
    """Read a landmark list in the sphereface format.

    Each line is an image path relative to the image root followed by
    ``2 * num_points`` numbers ``x1 y1 x2 y2 ...``, separated by spaces or tabs
    (commas also accepted).

    Returns:
        Mapping from relative image path to a ``(num_points, 2)`` float32 array.
    """
    return {key: points for key, (points, _) in load_landmark_rows(path, num_points).items()}


def load_landmark_rows(path: str, num_points: int = 5) -> Dict[str, Tuple[np.ndarray, int]]:
    """:func:`load_landmark_file` with the line number of every entry.

    Returns:
        Mapping from relative image path to ``(points, line number)``.
    """
    rows: Dict[str, Tuple[np.ndarray, int]] = {}
    for lineno, line in iter_lines(path):
        fields = line.replace(',', ' ').split()
        if len(fields) != 1 + 2 * num_points:
            raise AnnotationError(
                path,
                lineno,
                f'expected an image name and {2 * num_points} coordinates, '
                f'got {len(fields)} fields',
            )
        try:
            coords = np.array([float(v) for v in fields[1:]])
        except ValueError:
            raise AnnotationError(path, lineno, f'non-numeric coordinate in {line!r}') from None
        if not finite_float32(coords):
            raise AnnotationError(path, lineno, 'coordinates must be finite')
        rows[fields[0]] = (coords.astype(np.float32).reshape(num_points, 2), lineno)
    return rows


class LandmarkSourceMixin:
    """Names the annotation line of an item's landmarks, for errors of the transforms.

    Datasets record the line an item's landmarks come from as ``landmarks_line``
    (an int, cheap to keep for millions of items) and the file as
    :attr:`landmark_source_file`; :meth:`get_data_info` turns them into
    ``landmarks_source = '<file>, line <n>'``, which :class:`AlignFace` names
    when the landmarks cannot be used.
    """

    #: The annotation file the ``landmarks_line`` of the items refer to.
    landmark_source_file: Optional[str] = None

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        line = info.pop('landmarks_line', None)
        if line is not None and self.landmark_source_file:
            info['landmarks_source'] = f'{self.landmark_source_file}, line {line}'
        return info


def parse_int(path: str, lineno: int, value: str, what: str) -> int:
    """``int(value)`` with an :class:`AnnotationError` naming the field."""
    try:
        return int(value)
    except ValueError:
        raise AnnotationError(path, lineno, f'{what} must be an integer, got {value!r}') from None


def load_pairs_file(path: str) -> Tuple[List[dict], int]:
    """Read an LFW pairs file.

    View 2 (``pairs.txt``) starts with ``"10 300"``: 10 folds, each of 300
    matched lines ``name n1 n2`` then 300 mismatched lines
    ``name1 n1 name2 n2``. View 1 (``pairsDevTrain.txt``/``pairsDevTest.txt``)
    starts with a single count N: one set of N matched then N mismatched lines.

    Returns:
        The pairs as dicts ``fold, name1, idx1, name2, idx2, is_same, lineno``
        and the number of folds.
    """
    lines = list(iter_lines(path))
    if not lines:
        raise AnnotationError(path, 1, 'empty pairs file')
    head_no, head = lines[0]
    header = [parse_int(path, head_no, v, 'header value') for v in head.split()]
    if len(header) == 2:
        num_folds, per_fold = header
    elif len(header) == 1:
        num_folds, per_fold = 1, header[0]
    else:
        raise AnnotationError(
            path, head_no, f'expected header "folds pairs" or "pairs", got {head!r}'
        )
    if num_folds <= 0 or per_fold <= 0:
        raise AnnotationError(path, head_no, f'header values must be positive, got {head!r}')
    body = lines[1:]
    expected = num_folds * 2 * per_fold
    if len(body) != expected:
        raise AnnotationError(
            path,
            head_no,
            f'header {head!r} announces {expected} pair lines, the file has {len(body)}',
        )
    pairs = []
    for i, (lineno, line) in enumerate(body):
        fold, pos = divmod(i, 2 * per_fold)
        is_same = pos < per_fold
        fields = line.split()
        if is_same:
            fields.insert(2, fields[0])  # "name n1 n2" reads as "name n1 name n2"
        if len(fields) != 4:
            kind = (
                'a matched pair "name n1 n2"'
                if is_same
                else ('a mismatched pair "name1 n1 name2 n2"')
            )
            raise AnnotationError(path, lineno, f'expected {kind}, got {line!r}')
        pairs.append(
            dict(
                fold=fold,
                name1=fields[0],
                idx1=parse_int(path, lineno, fields[1], 'image number'),
                name2=fields[2],
                idx2=parse_int(path, lineno, fields[3], 'image number'),
                is_same=is_same,
                lineno=lineno,
            )
        )
    return pairs, num_folds


#: Rows of a table file: image name -> (values, line number).
Rows = Dict[str, Tuple[np.ndarray, int]]


def _first_line(lines: Iterator[Tuple[int, str]], path: str) -> Tuple[int, str]:
    first = next(lines, None)
    if first is None:
        raise AnnotationError(path, 1, 'empty file')
    return first


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


def _read_rows(
    lines: Iterator[Tuple[int, str]],
    path: str,
    split: Callable[[str], List[str]],
    num_values: int,
) -> Rows:
    """Rows ``name v1 ... vN`` of the remaining ``lines``, split into fields by ``split``."""
    rows: Rows = {}
    for lineno, line in lines:
        fields = split(line)
        values = _parse_row(path, lineno, fields, num_values)
        name = fields[0]
        if not name:
            raise AnnotationError(path, lineno, 'empty image name')
        if name in rows:
            raise AnnotationError(
                path, lineno, f'image {name!r} is listed twice (first on line {rows[name][1]})'
            )
        rows[name] = (values, lineno)
    return rows


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
    count_no, count_line = _first_line(lines, path)
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
    rows = _read_rows(lines, path, str.split, len(columns))
    if len(rows) != count:
        raise AnnotationError(
            path, count_no, f'the first line announces {count} images, the file has {len(rows)}'
        )
    return rows


def _csv_fields(line: str) -> List[str]:
    return [f.strip() for f in next(csv.reader([line]))]


def read_csv_table(path: str, header: Sequence[str]) -> Rows:
    """Read a CSV table: a header line ``name_column,c1,...,cN`` then rows.

    The header is compared case-insensitively with ``header``; names may be
    quoted (VGGFace2 writes ``"n000002/0001_01",161,140,224,324``).

    Returns:
        Mapping from image name to ``(values, line number)``, in file order.
    """
    lines = iter_lines(path)
    head_no, head = _first_line(lines, path)
    names = [n.strip().lstrip('\ufeff').lower() for n in next(csv.reader([head]))]
    if names != [h.lower() for h in header]:
        raise AnnotationError(
            path, head_no, f'expected the header {",".join(header)!r}, got {head!r}'
        )
    return _read_rows(lines, path, _csv_fields, len(header) - 1)


def is_csv_file(path: str) -> bool:
    """Whether a table file is CSV: by extension, else by a comma on its first line."""
    if path.lower().endswith('.csv'):
        return True
    first = next(iter_lines(path), None)
    return first is not None and ',' in first[1]
