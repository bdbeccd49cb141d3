"""VGGFace2 identities for face recognition training."""

import os.path as osp
from typing import Dict, List, Optional, Union

import numpy as np

from facerec.registry import DATASETS

from .annotation_io import AnnotationError, iter_lines, read_csv_table
from .base_identity_dataset import BaseIdentityDataset
from .landmark_datasets import VGGFACE2_BBOX_HEADER, VGGFACE2_LANDMARK_HEADER


@DATASETS.register_module()
class VGGFace2(BaseIdentityDataset):
    """VGGFace2 images labelled by identity, with the official loose landmarks and boxes.

    ``ann_file`` is the official image list (``train_list.txt`` or
    ``test_list.txt``): one ``n000002/0001_01.jpg`` per line, relative to the
    image folder ``data_prefix``; the identity is the folder (``n000002``).
    ``landmark_file`` (``loose_landmark_<split>.csv``: header
    ``NAME_ID,P1X,P1Y,...,P5X,P5Y``, rows ``"n000002/0001_01",75.8,109.6,...``)
    gives every image its 5 points (left eye, right eye, nose, left and right
    mouth corners) in pixels of the image; ``bbox_file``
    (``loose_bb_<split>.csv``: header ``NAME_ID,X,Y,W,H``) adds
    ``bbox = [X, Y, X + W, Y + H]``. The CSV rows are keyed by the list entry
    without its extension, and every listed image must have a row.

    Args:
        data_root: The VGGFace2 folder; relative files are joined to it.
        data_prefix: Image folder (``'train'`` or ``'test'``).
        ann_file: The image list.
        landmark_file: The loose landmark CSV, or None for no landmarks.
        bbox_file: The loose box CSV, or None for no boxes.
        check_images: Check at construction that every listed image exists
            (one directory listing per identity folder).
        skip_missing_images: Use only the listed images present (the number
            left out is logged); otherwise a missing image is an error.
        **kwargs: See :class:`BaseIdentityDataset`.

    Raises:
        AnnotationError: A malformed or repeated list line, a malformed CSV
            row, or a listed image without a CSV row (naming file and line).
        FileNotFoundError: A listed image is missing (naming it, the file and line).
    """

    def __init__(
        self,
        data_root: str = '',
        data_prefix: Union[str, dict] = 'train',
        ann_file: str = 'meta/train_list.txt',
        landmark_file: Optional[str] = 'bb_landmark/loose_landmark_train.csv',
        bbox_file: Optional[str] = None,
        check_images: bool = True,
        skip_missing_images: bool = False,
        **kwargs,
    ):
        self.landmark_csv = self._under_root(data_root, landmark_file)
        self.bbox_csv = self._under_root(data_root, bbox_file)
        self.check_images = check_images
        self.skip_missing_images = skip_missing_images
        super().__init__(data_root=data_root, ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def _read_list(self) -> Dict[str, int]:
        """List entry -> line number, in file order."""
        entries: Dict[str, int] = {}
        for lineno, line in iter_lines(self.ann_file):
            fields = line.split()
            if len(fields) != 1:
                raise AnnotationError(
                    self.ann_file, lineno, f'expected one "n000002/0001_01.jpg" path, got {line!r}'
                )
            entry = fields[0].replace('\\', '/')
            identity, _, name = entry.rpartition('/')
            if not identity or not name:
                raise AnnotationError(
                    self.ann_file, lineno, f'expected "<identity>/<image>", got {entry!r}'
                )
            if entry in entries:
                raise AnnotationError(
                    self.ann_file,
                    lineno,
                    f'{entry!r} is listed twice (first on line {entries[entry]})',
                )
            entries[entry] = lineno
        return entries

    def _row(self, table: dict, table_file: str, key: str, lineno: int) -> tuple:
        if key not in table:
            raise AnnotationError(
                self.ann_file, lineno, f'image {key!r} has no row in {table_file}'
            )
        return table[key]

    def load_samples(self) -> List[dict]:
        entries = self._read_list()
        landmarks = (
            read_csv_table(self.landmark_csv, VGGFACE2_LANDMARK_HEADER)
            if self.landmark_csv
            else None
        )
        boxes = read_csv_table(self.bbox_csv, VGGFACE2_BBOX_HEADER) if self.bbox_csv else None
        self.landmark_source_file = self.landmark_csv
        images = self._image_checker(self.ann_file, enabled=self.check_images)
        samples = []
        for entry, lineno in entries.items():
            key = osp.splitext(entry)[0]
            img_path = osp.join(self.img_root, entry)
            if not images.present(img_path, lineno):
                continue
            sample = dict(img_path=img_path, img_id=key, identity=entry.rpartition('/')[0])
            if landmarks is not None:
                values, row_line = self._row(landmarks, self.landmark_csv, key, lineno)
                sample['landmarks'] = values.reshape(5, 2)
                sample['landmarks_line'] = row_line
            if boxes is not None:
                (x, y, w, h), box_line = self._row(boxes, self.bbox_csv, key, lineno)
                if w <= 0 or h <= 0:
                    raise AnnotationError(self.bbox_csv, box_line, f'box of {key!r} has no area')
                sample['bbox'] = np.array([x, y, x + w, y + h], dtype=np.float32)
            samples.append(sample)
        images.log_skipped()
        return samples
