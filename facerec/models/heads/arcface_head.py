"""Additive angular margin head (ArcFace)."""

from typing import List, Optional, Union

import torch.nn as nn

from facerec.registry import MODELS

from .margin_head import MarginHead
from .margins import ArcFaceMargin


@MODELS.register_module()
class ArcFaceHead(MarginHead):
    """Additive angular margin head: the target logit is ``s * cos(theta + m)``.

    Where ``theta + m`` would pass pi, ``cos(theta + m)`` stops decreasing in
    ``theta``; there (``cos <= cos(pi - m)``) the target logit is instead
    ``s * (cos - m * sin(pi - m))``, which keeps it monotonic. With
    ``easy_margin`` the margin is only applied where ``cos > 0``
    (see :class:`~facerec.models.heads.margins.ArcFaceMargin`).

    Args:
        num_classes (int): Number of identities.
        in_channels (int): Size of the input embeddings.
        s (float): Scale of the cosine logits. Defaults to 64.0.
        m (float): Angular margin in radians. Defaults to 0.5.
        easy_margin (bool): Apply the margin only to positive cosines.
            Defaults to False.
        loss, init_cfg, mining_type, t: As in :class:`MarginHead`.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        s: float = 64.0,
        m: float = 0.5,
        easy_margin: bool = False,
        loss: Union[dict, nn.Module, None] = None,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
        mining_type: Optional[str] = None,
        t: float = 1.1,
        margin: Optional[ArcFaceMargin] = None,
    ) -> None:
        margin = margin if margin is not None else ArcFaceMargin(m, easy_margin)
        super().__init__(num_classes, in_channels, margin, s, loss, init_cfg, mining_type, t)
        self.m = margin.m
        self.easy_margin = margin.easy_margin
