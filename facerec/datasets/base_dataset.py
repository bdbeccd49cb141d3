"""The base class of facerec's image datasets."""

import os.path as osp
from typing import Optional, Union

from mmengine.dataset import BaseDataset

from .annotation_io import ImageChecker, LandmarkSourceMixin
from .pipeline import build_pipeline


class BaseFaceDataset(LandmarkSourceMixin, BaseDataset):
    """Common set-up of the identity and landmark datasets.

    Builds the pipeline with facerec's TRANSFORMS (whatever the default scope),
    accepts ``data_prefix`` as a plain string (the image folder), and names the
    annotation line of an item's landmarks (see :class:`LandmarkSourceMixin`).

    Args:
        data_root: Root joined to the relative ``ann_file`` and ``data_prefix``.
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
        """``path`` joined to ``data_root`` when it is relative (None stays None)."""
        if path and data_root and not osp.isabs(path):
            return osp.join(data_root, path)
        return path

    def _image_checker(self, list_file: str, enabled: bool = True) -> ImageChecker:
        """An :class:`ImageChecker` of the images ``list_file`` lists under :attr:`img_root`.

        Missing images are left out when the dataset has ``skip_missing_images`` set.
        """
        skip = bool(getattr(self, 'skip_missing_images', False))
        return ImageChecker(self, list_file, self.img_root, skip, enabled)
