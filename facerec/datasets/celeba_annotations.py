"""CelebA's annotation files: split names, the partition list and the numeric tables."""

from typing import Dict, Optional, Sequence

from .annotation_io import (
    AnnotationError,
    Rows,
    is_csv_file,
    iter_lines,
    read_count_table,
    read_csv_table,
)

#: The value of each split in ``list_eval_partition.txt``.
CELEBA_SPLITS = {'train': 0, 'val': 1, 'test': 2}
#: Names of the five points, in the order of CelebA's annotation columns.
FIVE_POINT_NAMES = ('lefteye', 'righteye', 'nose', 'leftmouth', 'rightmouth')
#: Columns of CelebA's landmark files (after ``image_id``).
CELEBA_LANDMARK_COLUMNS = tuple(f'{n}_{a}' for n in FIVE_POINT_NAMES for a in 'xy')
#: Columns of CelebA's ``list_bbox_celeba.txt`` (after ``image_id``).
CELEBA_BBOX_COLUMNS = ('x_1', 'y_1', 'width', 'height')


def check_split(split: str) -> str:
    """Return ``split``, or raise a ValueError unless it is a CelebA split or ``'all'``."""
    if split not in (*CELEBA_SPLITS, 'all'):
        raise ValueError(f'split must be one of {[*CELEBA_SPLITS, "all"]}, got {split!r}')
    return split


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


class CelebASplit:
    """Which images of CelebA belong to a split.

    Args:
        split: ``'train'``, ``'val'``, ``'test'`` or ``'all'``.
        partition_file: ``list_eval_partition.txt``; None (or ``split='all'``)
            selects every image.
    """

    def __init__(self, split: str, partition_file: Optional[str]):
        self.split = check_split(split)
        self.partition_file = partition_file
        use_file = split != 'all' and partition_file
        self.partition = read_partition_file(partition_file) if use_file else None

    def __contains__(self, name: str) -> bool:
        """Whether image ``name`` is in the split.

        Raises:
            KeyError: The partition file has no entry for the image.
        """
        if self.partition is None:
            return True
        if name not in self.partition:
            raise KeyError(f'{self.partition_file} has no entry for image {name!r}')
        return self.partition[name] == CELEBA_SPLITS[self.split]


def read_celeba_table(path: str, columns: Sequence[str]) -> Rows:
    """Read a CelebA table (landmarks or boxes) in its official or its CSV form.

    Args:
        path: The file; CSV when it ends in ``.csv`` or has a comma on its first line.
        columns: The column names after ``image_id``.

    Returns:
        Mapping from image name to ``(values, line number)``, in file order.
    """
    if is_csv_file(path):
        return read_csv_table(path, ('image_id', *columns))
    return read_count_table(path, columns)
