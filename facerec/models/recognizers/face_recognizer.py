"""A face recogniser: a backbone that embeds faces and a margin head that trains it."""

import re
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
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
        aux_losses: Configs of auxiliary losses added to the head's losses in
            ``'loss'`` mode. Each is built from ``MODELS`` and called as
            ``loss(feats, labels, head=self.head)`` on the embeddings (see
            :mod:`facerec.models.losses.metric_losses`); its value is logged as
            ``loss_<name>``, where ``name`` is the optional ``name`` key of the
            config, else the module's ``loss_name`` attribute, else its class
            name in snake case without a ``Loss`` suffix (``CenterLoss`` ->
            ``center``). Their parameters (e.g. centres) belong to the model.
    """

    #: Sub-modules that only training uses: a checkpoint for testing may lack them.
    training_only_modules: Tuple[str, ...] = ('head', 'aux_losses')

    def __init__(
        self,
        backbone: dict,
        head: Optional[dict] = None,
        data_preprocessor: Optional[dict] = None,
        test_cfg: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
        aux_losses: Optional[List[dict]] = None,
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
        self.aux_loss_names: List[str] = []
        self.aux_losses = nn.ModuleList()
        for cfg in aux_losses or []:
            name, module = self._build_aux_loss(cfg)
            if name in self.aux_loss_names:
                raise ValueError(f'Two auxiliary losses are named {name!r}; give one a `name`')
            self.aux_loss_names.append(name)
            self.aux_losses.append(module)

    @staticmethod
    def _build_aux_loss(cfg: Union[dict, nn.Module]) -> Tuple[str, nn.Module]:
        """Build an auxiliary loss and find the name it is logged under."""
        name = None
        if isinstance(cfg, dict):
            cfg = dict(cfg)
            name = cfg.pop('name', None)
            module = MODELS.build(cfg)
        elif isinstance(cfg, nn.Module):
            module = cfg
        else:
            raise TypeError(f'aux_losses items must be dicts or modules, got {type(cfg).__name__}')
        if name is None:
            name = getattr(module, 'loss_name', None)
        if name is None:
            stem = re.sub(r'Loss$', '', type(module).__name__) or type(module).__name__
            name = re.sub(r'(?<=[a-z0-9])(?=[A-Z])', '_', stem).lower()
        name = str(name)
        if name.startswith('loss_'):
            name = name[len('loss_') :]
        return name, module

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
        """Compute the training losses of a batch: the head's, then ``loss_<name>`` per aux loss."""
        if self.head is None:
            raise RuntimeError('FaceRecognizer needs a `head` to compute a loss')
        labels = torch.stack([sample.gt_label for sample in data_samples]).to(inputs.device)
        feats = self.extract_feat(inputs)
        losses = self.head.loss(feats, labels)
        flat_labels = labels.reshape(-1).long()
        for name, aux_loss in zip(self.aux_loss_names, self.aux_losses):
            losses[f'loss_{name}'] = aux_loss(feats, flat_labels, head=self.head)
        return losses

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
