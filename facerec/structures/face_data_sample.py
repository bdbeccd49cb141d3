"""The data element that travels with every face image."""

from typing import Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement


class FaceDataSample(BaseDataElement):
    """Annotations and predictions of one face image.

    Meta fields (``sample_idx``, ``img_path``, ``ori_shape``...) are set with
    ``set_metainfo``. Data fields:

    - ``gt_label`` (LongTensor, shape ``()``): identity index, for training.
    - ``gt_landmarks`` (Tensor, shape ``(K, 2)``): landmarks, where known.
    - ``pred_feature`` (Tensor, shape ``(D,)``): the face embedding.
    - ``pred_landmarks`` (Tensor, shape ``(K, 2)``): predicted landmarks, ``(x, y)`` in
      pixels of the network input image, like ``gt_landmarks``.
    """

    def set_gt_label(self, value: Union[int, np.integer, torch.Tensor]) -> 'FaceDataSample':
        """Set the identity label from an int or a 0-d tensor."""
        self.gt_label = torch.as_tensor(value, dtype=torch.long).reshape(())
        return self

    def set_pred_feature(self, value: torch.Tensor) -> 'FaceDataSample':
        """Set the predicted embedding (1-D)."""
        self.pred_feature = value.reshape(-1)
        return self

    def set_pred_landmarks(self, value: torch.Tensor) -> 'FaceDataSample':
        """Set the predicted landmarks.

        Args:
            value: Landmarks with ``2 * K`` values, ``(x, y)`` in pixels of the input image.

        Returns:
            FaceDataSample: This data sample, with ``pred_landmarks`` of shape ``(K, 2)``.
        """
        self.pred_landmarks = torch.as_tensor(value).reshape(-1, 2)
        return self
