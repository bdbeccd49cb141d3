"""Identities listed in a text file: the lists of MS-Celeb-1M, IMDB-Face, TrillionPairs, CASIA."""

import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.logging import print_log

from facerec.registry import DATASETS

from .annotation_io import (
    AnnotationError,
    finite_float32,
    iter_lines,
)
from .base_identity_dataset import BaseIdentityDataset

LIST_FORMATS = ('auto', 'label', 'pipe')
LANDMARK_UNITS = ('pixels', 'box', 'image')


def _numbers(path: str, lineno: int, fields: Sequence[str], count: int, what: str) -> np.ndarray:
    if len(fields) != count:
        raise AnnotationError(path, lineno, f'expected {count} {what}, got {len(fields)}')
    try:
        values = np.array([float(v) for v in fields], dtype=np.float64)
    except ValueError:
        raise AnnotationError(path, lineno, f'non-numeric {what} in {fields!r}') from None
    if not finite_float32(values):
        raise AnnotationError(path, lineno, f'{what} must be finite')
    return values


def _float32(path: str, lineno: int, values: np.ndarray, what: str) -> np.ndarray:
    if not finite_float32(values):
        raise AnnotationError(path, lineno, f'{what} out of the float32 range')
    return values.astype(np.float32)


@DATASETS.register_module()
class FaceListIdentities(BaseIdentityDataset):
    """Face images listed with their identity (and 5 landmarks) in a text file.

    Two line formats, the ones the lists of the large training sets come in:

    * ``'label'`` (CASIA-WebFace and TrillionPairs lists)::

          relative/path.jpg LABEL [x1 y1 x2 y2 x3 y3 x4 y4 x5 y5]

      fields separated by spaces or tabs: the image path (relative to the
      image folder, no spaces), the integer identity label, then either
      nothing or the 10 landmark coordinates (left eye, right eye, nose,
      left and right mouth corners).
    * ``'pipe'`` (MS-Celeb-1M and IMDB-Face lists)::

          identity/path.jpg|x1 y1 x2 y2 x3 y3 x4 y4 x5 y5|x y w h

      three ``|``-separated fields: the image path, whose folder (everything
      before the last ``/``) is the identity; the 10 landmark coordinates
      separated by spaces; the face box (left, top, width, height) or
      nothing. A line with only the path (or the path and one field) is an
      image where the face detector found no face: it is skipped, and the
      number of such lines is logged.

    ``'auto'`` picks ``'pipe'`` when the first line has a ``|``.

    Landmark coordinates are pixels of the listed image (``'pixels'``, as the
    TrillionPairs lists), or fractions of the face box of the same line
    (``'box'``: ``x = X + fx * W``, as the MS-Celeb-1M lists), or fractions of
    the image size (``'image'``, with ``img_size``: 250x250 for
    CASIA-WebFace). Items carry ``img_path``, ``identity``, ``landmarks``
    (``(5, 2)`` pixels) when the line has them, and ``bbox = [x, y, x + w,
    y + h]`` when it has a box.

    Args:
        ann_file: The list file, relative to ``data_root``.
        data_prefix: Image folder the listed paths start from.
        list_format: ``'auto'``, ``'label'`` or ``'pipe'``.
        landmark_units: ``'pixels'``, ``'box'`` or ``'image'``.
        img_size: ``(width, height)`` of the images, for ``'image'`` units.
        check_images: Check when the dataset is built that every listed image
            exists (one directory listing per image folder).
        skip_missing_images: Use only the listed images present (the number
            left out is logged); otherwise a missing image is an error.
        **kwargs: See :class:`BaseIdentityDataset`.

    Raises:
        AnnotationError: A malformed line (naming the file and line).
        FileNotFoundError: A listed image is missing (naming it, the file and line).
    """

    def __init__(
        self,
        ann_file: str = 'list.txt',
        data_prefix: Union[str, dict] = '',
        list_format: str = 'auto',
        landmark_units: str = 'pixels',
        img_size: Optional[Tuple[int, int]] = None,
        check_images: bool = True,
        skip_missing_images: bool = False,
        **kwargs,
    ):
        if list_format not in LIST_FORMATS:
            raise ValueError(f'list_format must be one of {LIST_FORMATS}, got {list_format!r}')
        if landmark_units not in LANDMARK_UNITS:
            raise ValueError(
                f'landmark_units must be one of {LANDMARK_UNITS}, got {landmark_units!r}'
            )
        if landmark_units == 'image':
            if img_size is None or len(img_size) != 2 or min(img_size) <= 0:
                raise ValueError(
                    f"landmark_units='image' needs img_size=(width, height), got {img_size!r}"
                )
        self.list_format = list_format
        self.landmark_units = landmark_units
        self.img_size = None if img_size is None else tuple(float(v) for v in img_size)
        self.check_images = check_images
        self.skip_missing_images = skip_missing_images
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def _detect_format(self) -> str:
        if self.list_format != 'auto':
            return self.list_format
        first = next(iter_lines(self.ann_file), None)
        return 'pipe' if first is not None and '|' in first[1] else 'label'

    def _to_pixels(self, coords: np.ndarray, box: Optional[np.ndarray], lineno: int) -> np.ndarray:
        points = coords.reshape(5, 2)
        if self.landmark_units == 'box':
            if box is None:
                raise AnnotationError(
                    self.ann_file, lineno, "landmark_units='box' needs a face box on every line"
                )
            points = box[:2] + points * box[2:]
        elif self.landmark_units == 'image':
            points = points * np.array(self.img_size)
        return _float32(self.ann_file, lineno, points, 'landmark coordinates')

    def _parse_label_line(self, lineno: int, line: str) -> dict:
        fields = line.split()
        if len(fields) not in (2, 12):
            raise AnnotationError(
                self.ann_file,
                lineno,
                f'expected "path label" or "path label x1 y1 ... x5 y5", got {len(fields)} fields',
            )
        try:
            label = int(fields[1])
        except ValueError:
            raise AnnotationError(
                self.ann_file, lineno, f'the label must be an integer, got {fields[1]!r}'
            ) from None
        if label < 0:
            raise AnnotationError(self.ann_file, lineno, f'negative label {label}')
        sample = dict(img_path=osp.join(self.img_root, fields[0]), identity=label)
        if len(fields) == 12:
            coords = _numbers(self.ann_file, lineno, fields[2:], 10, 'landmark coordinates')
            sample['landmarks'] = self._to_pixels(coords, None, lineno)
            sample['landmarks_line'] = lineno
        return sample

    def _parse_pipe_line(self, lineno: int, line: str) -> Optional[dict]:
        fields = [f.strip() for f in line.split('|')]
        if len(fields) > 3:
            raise AnnotationError(
                self.ann_file,
                lineno,
                f'expected "path|x1 y1 ... x5 y5|x y w h", got {len(fields)} "|"-separated fields',
            )
        if len(fields) < 3:
            return None
        path, lm_text, box_text = fields
        identity, _, name = path.replace('\\', '/').rpartition('/')
        if not identity or not name:
            raise AnnotationError(
                self.ann_file, lineno, f'expected an "<identity>/<image>" path, got {path!r}'
            )
        box = None
        if box_text:
            box = _numbers(self.ann_file, lineno, box_text.split(), 4, 'box values (x y w h)')
            if box[2] <= 0 or box[3] <= 0:
                raise AnnotationError(self.ann_file, lineno, f'the box {box_text!r} has no area')
        coords = _numbers(self.ann_file, lineno, lm_text.split(), 10, 'landmark coordinates')
        sample = dict(
            img_path=osp.join(self.img_root, path),
            identity=identity,
            landmarks=self._to_pixels(coords, box, lineno),
            landmarks_line=lineno,
        )
        if box is not None:
            x, y, w, h = box
            sample['bbox'] = _float32(self.ann_file, lineno, np.array([x, y, x + w, y + h]), 'box')
        return sample

    def _present(self, samples: List[dict], linenos: List[int]) -> List[dict]:
        """The samples whose image exists; raises for a missing one unless skipping."""
        images = self._image_checker(self.ann_file)
        present = [s for s, n in zip(samples, linenos) if images.present(s['img_path'], n)]
        images.log_skipped()
        return present

    def load_samples(self) -> List[dict]:
        self.landmark_source_file = self.ann_file
        pipe = self._detect_format() == 'pipe'
        samples, linenos, skipped = [], [], 0
        for lineno, line in iter_lines(self.ann_file):
            if pipe:
                sample = self._parse_pipe_line(lineno, line)
                if sample is None:
                    skipped += 1
                    continue
            else:
                sample = self._parse_label_line(lineno, line)
            samples.append(sample)
            linenos.append(lineno)
        if self.check_images or self.skip_missing_images:
            samples = self._present(samples, linenos)
        if skipped:
            print_log(
                f'{self.__class__.__name__}: skipped {skipped} line(s) of {self.ann_file} '
                'without landmarks (no face detected)',
                logger='current',
            )
        return samples
