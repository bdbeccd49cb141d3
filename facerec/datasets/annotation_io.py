"""Readers of the plain-text annotation files, with errors naming file and line."""

import os.path as osp
from typing import Dict, Iterator, List, Tuple

import numpy as np


class AnnotationError(ValueError):
    """A malformed annotation file; the message names the file and line."""

    def __init__(self, path: str, lineno: int, message: str):
        self.path, self.lineno = path, lineno
        super().__init__(f'{path}, line {lineno}: {message}')


def iter_lines(path: str) -> Iterator[Tuple[int, str]]:
    """Yield ``(line number, stripped line)`` of the non-empty lines of a text file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Annotation file not found: {path}')
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if line:
                yield lineno, line


def load_landmark_file(path: str, num_points: int = 5) -> Dict[str, np.ndarray]:
    """Read a landmark list in the sphereface format.

    Each line is an image path relative to the image root followed by
    ``2 * num_points`` numbers ``x1 y1 x2 y2 ...``, separated by spaces or tabs
    (commas also accepted).

    Returns:
        Mapping from relative image path to a ``(num_points, 2)`` float32 array.
    """
    landmarks: Dict[str, np.ndarray] = {}
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
            coords = np.array([float(v) for v in fields[1:]], dtype=np.float32)
        except ValueError:
            raise AnnotationError(path, lineno, f'non-numeric coordinate in {line!r}') from None
        if not np.isfinite(coords).all():
            raise AnnotationError(path, lineno, 'coordinates must be finite')
        landmarks[fields[0]] = coords.reshape(num_points, 2)
    return landmarks


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
