"""Common behaviour of the datasets of labelled identities used for training."""

import os
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import print_log

from facerec.utils.checks import check_positive_int

from .annotation_io import load_landmark_rows
from .base_dataset import BaseFaceDataset


class BaseIdentityDataset(BaseFaceDataset):
    """Images labelled with identities, optionally with 5-point landmarks.

    Subclasses implement :meth:`load_samples`, returning dicts with at least
    ``img_path`` and ``identity`` (any hashable name); this class drops rare
    identities, numbers the rest ``0..C-1`` in sorted order as ``gt_label``
    and attaches landmarks. Items whose landmarks come from an annotation line
    carry ``landmarks_source`` (``'<file>, line <n>'``, see
    :class:`LandmarkSourceMixin`).

    Args:
        data_root: Root joined to relative ``ann_file``, ``data_prefix`` and
            ``landmark_file``.
        min_images_per_identity: Identities with fewer images are dropped.
        landmark_file: Optional landmark list (sphereface format, keys relative
            to the image folder). Every image must have an entry.
        **kwargs: See :class:`BaseFaceDataset` (``data_prefix``) and
            :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(
        self,
        data_root: str = '',
        min_images_per_identity: int = 1,
        landmark_file: Optional[str] = None,
        **kwargs,
    ):
        self.min_images_per_identity = check_positive_int(
            'min_images_per_identity', min_images_per_identity
        )
        self.landmark_file = self._under_root(data_root, landmark_file)
        super().__init__(data_root=data_root, **kwargs)

    def load_samples(self) -> List[dict]:
        """Return the raw samples: dicts with ``img_path`` and ``identity``."""
        raise NotImplementedError

    def load_data_list(self) -> List[dict]:
        samples = self.load_samples()
        counts = Counter(s['identity'] for s in samples)
        keep = sorted(k for k, n in counts.items() if n >= self.min_images_per_identity)
        label_of: Dict = {k: i for i, k in enumerate(keep)}
        samples = [s for s in samples if s['identity'] in label_of]
        if not samples:
            raise ValueError(
                f'{self.__class__.__name__}: no images left under {self.img_root!r} '
                f'(min_images_per_identity={self.min_images_per_identity})'
            )
        landmarks = load_landmark_rows(self.landmark_file) if self.landmark_file else None
        if landmarks is not None:
            self.landmark_source_file = self.landmark_file
        for sample in samples:
            sample['gt_label'] = label_of[sample['identity']]
            if landmarks is not None:
                sample['landmarks'], sample['landmarks_line'] = self._find_landmarks(
                    landmarks, sample['img_path']
                )
        self._metainfo.update(classes=tuple(str(k) for k in keep), num_classes=len(keep))
        print_log(
            f'{self.__class__.__name__}: {len(samples)} images of {len(keep)} identities',
            logger='current',
        )
        return samples

    def _find_landmarks(
        self, landmarks: Dict[str, Tuple[np.ndarray, int]], img_path: str
    ) -> Tuple[np.ndarray, int]:
        key = osp.relpath(img_path, self.img_root).replace(osp.sep, '/')
        if key not in landmarks:
            raise KeyError(f'Landmark file {self.landmark_file} has no entry for image {key!r}')
        return landmarks[key]

    def get_gt_labels(self) -> np.ndarray:
        """The identity labels of all samples, for samplers and checks."""
        return np.array([self.get_data_info(i)['gt_label'] for i in range(len(self))])


def list_images(folder: str, extensions: Sequence[str]) -> List[str]:
    """Sorted file names in ``folder`` whose extension is in ``extensions``."""
    exts = tuple(e.lower() for e in extensions)
    return sorted(f for f in _listdir(folder) if f.lower().endswith(exts))


def _listdir(folder: str) -> List[str]:
    if not osp.isdir(folder):
        raise FileNotFoundError(f'Image folder not found: {folder}')
    return os.listdir(folder)
