"""Packing a sample into the model's input format."""

from typing import Sequence

import numpy as np
import torch

from facerec.registry import TRANSFORMS
from facerec.structures import FaceDataSample

from .base import BaseTransform


@TRANSFORMS.register_module()
class PackFaceInputs(BaseTransform):
    """Pack a sample into ``dict(inputs=CHW tensor, data_samples=FaceDataSample)``.

    Args:
        meta_keys: Results keys copied into the data sample's metainfo (``img_source``
            names an image stored in a packed file, e.g. a verification ``.bin``).
    """

    def __init__(
        self,
        meta_keys: Sequence[str] = (
            'sample_idx',
            'img_path',
            'img_source',
            'ori_shape',
            'img_shape',
            'flip',
        ),
    ):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        sample = FaceDataSample()
        if results.get('gt_label') is not None:
            sample.set_gt_label(results['gt_label'])
        if results.get('landmarks') is not None:
            sample.gt_landmarks = torch.as_tensor(
                np.asarray(results['landmarks'], dtype=np.float32)
            )
        sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)
