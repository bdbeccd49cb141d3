"""Additive margin softmax head (AM-softmax / CosFace)."""

from typing import List, Optional, Union

import torch.nn as nn

from facerec.registry import MODELS

from .margin_head import MarginHead
from .margins import CosFaceMargin


@MODELS.register_module()
class AMSoftmaxHead(MarginHead):
    """Additive cosine margin head: logits are ``s * (cos - m * onehot)``.

    Args:
        num_classes (int): Number of identities.
        in_channels (int): Size of the input embeddings.
        s (float): Scale of the cosine logits. Defaults to 30.0.
        m (float): Cosine margin subtracted from the target class. Defaults to 0.35.
        loss, init_cfg, mining_type, t: As in :class:`MarginHead`.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        s: float = 30.0,
        m: float = 0.35,
        loss: Union[dict, nn.Module, None] = None,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
        mining_type: Optional[str] = None,
        t: float = 1.1,
    ) -> None:
        margin = CosFaceMargin(m)
        super().__init__(num_classes, in_channels, margin, s, loss, init_cfg, mining_type, t)
        self.m = margin.m
