"""A facial landmark model: a regressor network trained with a coordinate loss."""

from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel

from facerec.registry import MODELS
from facerec.structures import FaceDataSample

__all__ = ['LandmarkRegressor']


@MODELS.register_module()
class LandmarkRegressor(BaseModel):
    """Facial landmark regression model.

    The backbone maps a batch of images ``(N, 3, H, W)`` to landmarks ``(N, K, 2)`` normalised
    to the input image, ``(x / W, y / H)``. The ground truth ``gt_landmarks`` of the data samples
    are in pixels of the same input image, so they are divided by ``(W, H)`` of the batch to give
    the loss targets.

    ``forward(inputs, data_samples, mode)`` dispatches to:

    - ``'loss'``: a dict with ``loss_landmarks`` (training);
    - ``'predict'``: ``pred_landmarks`` of shape ``(K, 2)`` in pixels of the input image set on
      every data sample, which are returned;
    - ``'tensor'``: the normalised landmarks, shape ``(N, K, 2)``.

    Args:
        backbone: Config of the landmark network. Defaults to ``dict(type='LandNet')``.
        loss: Config of the loss on normalised coordinates. Defaults to
            ``dict(type='WingLoss')``.
        data_preprocessor: Config of the data preprocessor. Defaults to
            ``dict(type='FaceDataPreprocessor')``.
        init_cfg: Weight initialisation config. Defaults to None.
    """

    def __init__(
        self,
        backbone: Optional[dict] = None,
        loss: Optional[dict] = None,
        data_preprocessor: Optional[Union[dict, torch.nn.Module]] = None,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='FaceDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            # Built here so facerec's registry is used whatever the default scope.
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(dict(type='LandNet') if backbone is None else backbone)
        self.loss_module = MODELS.build(dict(type='WingLoss') if loss is None else loss)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Predict normalised landmarks.

        Args:
            inputs: Normalised images of shape ``(N, 3, H, W)``.

        Returns:
            torch.Tensor: Landmarks of shape ``(N, K, 2)`` as ``(x / W, y / H)``.
        """
        landmarks = self.backbone(inputs)
        if landmarks.dim() != 3 or landmarks.shape[-1] != 2:
            raise ValueError(
                f'The landmark backbone must return a (N, K, 2) tensor, got shape '
                f'{tuple(landmarks.shape)}'
            )
        return landmarks

    def forward(
        self,
        inputs: torch.Tensor,
        data_samples: Optional[List[FaceDataSample]] = None,
        mode: str = 'tensor',
    ) -> Union[Dict[str, torch.Tensor], List[FaceDataSample], torch.Tensor]:
        """Run the model in one of the modes ``'loss'``, ``'predict'`` and ``'tensor'``.

        Args:
            inputs: Normalised images of shape ``(N, 3, H, W)``.
            data_samples: One data sample per image; required in ``'loss'`` mode.
            mode: ``'loss'``, ``'predict'`` or ``'tensor'``. Defaults to ``'tensor'``.

        Returns:
            dict | list[FaceDataSample] | torch.Tensor: The losses, the data samples with their
            predictions, or the normalised landmarks ``(N, K, 2)``.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs)
        raise RuntimeError(f'Invalid mode "{mode}"; expected "loss", "predict" or "tensor"')

    @staticmethod
    def _image_size(inputs: torch.Tensor) -> torch.Tensor:
        """Return ``(W, H)`` of the batch as a float tensor on the batch's device."""
        height, width = inputs.shape[-2:]
        return torch.tensor([width, height], dtype=torch.float32, device=inputs.device)

    def loss(
        self, inputs: torch.Tensor, data_samples: Optional[List[FaceDataSample]]
    ) -> Dict[str, torch.Tensor]:
        """Compute the landmark loss of a batch.

        Args:
            inputs: Normalised images of shape ``(N, 3, H, W)``.
            data_samples: One data sample per image, each with ``gt_landmarks`` ``(K, 2)`` in
                pixels of the input image.

        Returns:
            dict[str, torch.Tensor]: ``loss_landmarks``, a scalar.
        """
        if data_samples is None:
            raise ValueError('LandmarkRegressor needs data samples with gt_landmarks in loss mode')
        if len(data_samples) != inputs.shape[0]:
            raise ValueError(
                f'Got {len(data_samples)} data samples for a batch of {inputs.shape[0]} images'
            )
        for i, sample in enumerate(data_samples):
            if 'gt_landmarks' not in sample:
                raise KeyError(
                    f'Data sample {i} has no gt_landmarks; LandmarkRegressor needs them in '
                    'loss mode'
                )
        pred = self.extract_feat(inputs)
        gt = torch.stack([torch.as_tensor(s.gt_landmarks).reshape(-1, 2) for s in data_samples]).to(
            device=pred.device, dtype=pred.dtype
        )
        if gt.shape != pred.shape:
            raise ValueError(
                f'gt_landmarks of the batch have shape {tuple(gt.shape)} but the model predicts '
                f'{tuple(pred.shape)}; check the number of points'
            )
        target = gt / self._image_size(inputs).to(pred.dtype)
        return dict(loss_landmarks=self.loss_module(pred, target))

    @torch.no_grad()
    def predict(
        self, inputs: torch.Tensor, data_samples: Optional[List[FaceDataSample]] = None
    ) -> List[FaceDataSample]:
        """Predict the landmarks of a batch in pixels of the input image.

        Args:
            inputs: Normalised images of shape ``(N, 3, H, W)``.
            data_samples: One data sample per image, or None to create new ones.

        Returns:
            list[FaceDataSample]: The data samples, each with ``pred_landmarks`` ``(K, 2)`` as
            ``(x, y)`` pixels of the input image.
        """
        pred = self.extract_feat(inputs)
        pixels = pred * self._image_size(inputs).to(pred.dtype)
        if data_samples is None:
            data_samples = [FaceDataSample() for _ in range(pixels.shape[0])]
        if len(data_samples) != pixels.shape[0]:
            raise ValueError(
                f'Got {len(data_samples)} data samples for a batch of {pixels.shape[0]} images'
            )
        for sample, points in zip(data_samples, pixels):
            sample.set_pred_landmarks(points)
        return data_samples
