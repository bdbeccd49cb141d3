"""CelebA identities for face recognition training."""

import os.path as osp
from typing import List, Optional, Union

import numpy as np

from facerec.registry import DATASETS

from .annotation_io import AnnotationError, iter_lines
from .base_identity_dataset import BaseIdentityDataset
from .celeba_annotations import CelebASplit, check_split

#: Mean 5-point landmarks of CelebA's aligned images (178x218 pixels): the
#: average of ``list_landmarks_align_celeba.txt``. The aligned images vary
#: around these points by one or two pixels at the eyes.
CELEBA_ALIGNED_MEAN_LANDMARKS = np.array(
    [[69.3, 111.2], [107.7, 111.2], [87.7, 135.4], [71.3, 152.0], [105.7, 152.2]],
    dtype=np.float32,
)


@DATASETS.register_module()
class CelebAIdentities(BaseIdentityDataset):
    """CelebA's aligned images (``img_align_celeba``) labelled by identity.

    Reads ``identity_CelebA.txt`` (``000001.jpg 2880`` per line) and, if
    given, ``list_eval_partition.txt`` (``000001.jpg 0``; 0 train, 1 val,
    2 test). The aligned images all share nearly the same face geometry, so
    ``landmarks='mean'`` gives every image the mean aligned landmarks scaled by
    ``img_scale`` (0.5 for images stored at half size), which lets the usual
    :class:`AlignFace` bring them to the recognition template.

    Args:
        ann_file: The identity file.
        partition_file: The partition file, or None to use every image.
        split: ``'train'``, ``'val'``, ``'test'`` or ``'all'``.
        landmarks: ``'mean'`` or None (no landmarks).
        img_scale: Size of the stored images relative to the official 178x218.
        skip_missing_images: Use only the images present in the image folder
            (for a subset of CelebA); otherwise a missing image is an error.
        **kwargs: See :class:`BaseIdentityDataset`.
    """

    def __init__(
        self,
        ann_file: str = 'identity_CelebA.txt',
        partition_file: Optional[str] = 'list_eval_partition.txt',
        split: str = 'train',
        landmarks: Optional[str] = 'mean',
        img_scale: Union[float, int] = 1.0,
        skip_missing_images: bool = False,
        data_prefix: Union[str, dict] = 'img_align_celeba',
        **kwargs,
    ):
        self.split = check_split(split)
        if landmarks not in ('mean', None):
            raise ValueError(f"landmarks must be 'mean' or None, got {landmarks!r}")
        self.partition_file = partition_file
        self.landmarks = landmarks
        self.img_scale = float(img_scale)
        self.skip_missing_images = skip_missing_images
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def load_samples(self) -> List[dict]:
        in_split = CelebASplit(self.split, self._under_root(self.data_root, self.partition_file))
        images = self._image_checker(self.ann_file)
        points = CELEBA_ALIGNED_MEAN_LANDMARKS * self.img_scale if self.landmarks else None
        samples = []
        for lineno, line in iter_lines(self.ann_file):
            fields = line.split()
            if len(fields) != 2:
                raise AnnotationError(
                    self.ann_file, lineno, f'expected "image identity", got {line!r}'
                )
            name, identity = fields
            if name not in in_split:
                continue
            img_path = osp.join(self.img_root, name)
            if not images.present(img_path, lineno):
                continue
            sample = dict(img_path=img_path, identity=identity)
            if points is not None:
                sample['landmarks'] = points.copy()
            samples.append(sample)
        images.log_skipped()
        return samples
