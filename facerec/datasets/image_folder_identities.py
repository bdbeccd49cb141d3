"""Identities stored one folder per person."""

import os.path as osp
from typing import List, Sequence, Union

from facerec.registry import DATASETS

from .base_identity_dataset import BaseIdentityDataset, _listdir, list_images

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.pgm', '.ppm', '.tif', '.tiff', '.webp')


@DATASETS.register_module()
class ImageFolderIdentities(BaseIdentityDataset):
    """A user's own data: ``root/<identity>/<image>``.

    Labels are the identity folders in sorted order. A ``landmark_file`` in
    the sphereface format (keys ``identity/image.jpg``) adds landmarks.

    Args:
        data_prefix: The image root, relative to ``data_root``.
        extensions: Image file extensions to list.
        **kwargs: See :class:`BaseIdentityDataset`.
    """

    def __init__(
        self,
        data_prefix: Union[str, dict] = '',
        extensions: Sequence[str] = IMG_EXTENSIONS,
        **kwargs,
    ):
        self.extensions = tuple(extensions)
        super().__init__(data_prefix=data_prefix, **kwargs)

    def load_samples(self) -> List[dict]:
        root = self.img_root
        samples = []
        for identity in sorted(_listdir(root)):
            folder = osp.join(root, identity)
            if not osp.isdir(folder):
                continue
            for name in list_images(folder, self.extensions):
                samples.append(dict(img_path=osp.join(folder, name), identity=identity))
        return samples
