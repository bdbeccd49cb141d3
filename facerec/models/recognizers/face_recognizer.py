"""A face recogniser: a backbone that embeds faces and a margin head that trains it."""

from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel

from facerec.registry import MODELS
from facerec.structures import FaceDataSample


@MODELS.register_module()
class FaceRecognizer(BaseModel):
    """Face recognition model.

    ``forward(inputs, data_samples, mode)`` dispatches to:

    - ``'loss'``: embeddings → margin head → dict of losses (training);
    - ``'predict'``: embeddings stored as ``pred_feature`` in the data samples;
    - ``'tensor'``: the raw embeddings, shape ``(N, D)``.

    Args:
        backbone: Config of the embedding network.
        head: Config of the training head (identity classifier with its loss).
            Optional, so a model built only for inference needs no head.
        data_preprocessor: Config of the data preprocessor.
        test_cfg: ``dict(flip=True)`` embeds the horizontally flipped image
            too and sums both embeddings.
        init_cfg: Weight initialisation config.
    """

    def __init__(
        self,
        backbone: dict,
        head: Optional[dict] = None,
        data_preprocessor: Optional[dict] = None,
        test_cfg: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ):
        if data_preprocessor is None:
            data_preprocessor = dict(type='FaceDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            # Built here so facerec's registry is used whatever the default scope.
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head) if head is not None else None
        self.test_cfg = dict(test_cfg or {})
        self.flip_test = bool(self.test_cfg.get('flip', False))

    @property
    def with_head(self) -> bool:
        return self.head is not None

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Embed a batch of normalised images, shape ``(N, D)``."""
        return self.backbone(inputs)

    def forward(
        self,
        inputs: torch.Tensor,
        data_samples: Optional[List[FaceDataSample]] = None,
        mode: str = 'tensor',
    ) -> Union[Dict[str, torch.Tensor], List[FaceDataSample], torch.Tensor]:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs)
        raise RuntimeError(f'Invalid mode "{mode}"; expected "loss", "predict" or "tensor"')

    def loss(
        self, inputs: torch.Tensor, data_samples: List[FaceDataSample]
    ) -> Dict[str, torch.Tensor]:
        """Compute the training losses of a batch."""
        if self.head is None:
            raise RuntimeError('FaceRecognizer needs a `head` to compute a loss')
        labels = torch.stack([sample.gt_label for sample in data_samples]).to(inputs.device)
        return self.head.loss(self.extract_feat(inputs), labels)

    @torch.no_grad()
    def predict(
        self, inputs: torch.Tensor, data_samples: Optional[List[FaceDataSample]] = None
    ) -> List[FaceDataSample]:
        """Embed a batch; with ``test_cfg.flip`` the flipped image's embedding is added."""
        feats = self.extract_feat(inputs)
        if self.flip_test:
            feats = feats + self.extract_feat(inputs.flip(-1))
        if data_samples is None:
            data_samples = [FaceDataSample() for _ in range(feats.shape[0])]
        for sample, feat in zip(data_samples, feats):
            sample.set_pred_feature(feat)
        return data_samples
