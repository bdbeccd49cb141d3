"""Additive angular margin head (ArcFace)."""

import math
from typing import List, Optional, Union

import torch
import torch.nn as nn

from facerec.registry import MODELS

from .margin_head import MarginHead


@MODELS.register_module()
class ArcFaceHead(MarginHead):
    """Additive angular margin head: the target logit is ``s * cos(theta + m)``.

    Where ``theta + m`` would pass pi, ``cos(theta + m)`` stops decreasing in
    ``theta``; there (``cos <= cos(pi - m)``) the target logit is instead
    ``s * (cos - m * sin(pi - m))``, which keeps it monotonic. With
    ``easy_margin`` the margin is only applied where ``cos > 0``.

    Args:
        num_classes (int): Number of identities.
        in_channels (int): Size of the input embeddings.
        s (float): Scale of the cosine logits. Defaults to 64.0.
        m (float): Angular margin in radians. Defaults to 0.5.
        easy_margin (bool): Apply the margin only to positive cosines.
            Defaults to False.
        loss (dict or nn.Module): Classification loss config or module.
            Defaults to ``dict(type='CrossEntropyLoss')``.
        init_cfg (dict or list[dict], optional): Initialisation config.
            Defaults to None.
        mining_type (str, optional): ``'sv'`` for support-vector hard-example
            mining (see :class:`MarginHead`), None for none. Defaults to None.
        t (float): Scale of the mined negatives, ``t * cos + t - 1``.
            Defaults to 1.1.
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
    ) -> None:
        super().__init__(
            num_classes,
            in_channels,
            s=s,
            m=m,
            loss=loss,
            init_cfg=init_cfg,
            mining_type=mining_type,
            t=t,
        )
        self.easy_margin = bool(easy_margin)
        self.cos_m = math.cos(self.m)
        self.sin_m = math.sin(self.m)
        self.threshold = math.cos(math.pi - self.m)
        self.fallback_margin = math.sin(math.pi - self.m) * self.m

    def apply_margin(self, cos: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Replace the target-class cosines by ``cos(theta + m)``.

        Args:
            cos (Tensor): Cosines of shape (N, num_classes).
            labels (Tensor): Target class indices of shape (N,).

        Returns:
            Tensor: Unscaled logits of shape (N, num_classes).
        """
        index = labels.view(-1, 1)
        # Half-precision cosines are lifted to float32 so the clamp stays below 1.
        dtype = torch.float64 if cos.dtype == torch.float64 else torch.float32
        target = cos.gather(1, index).to(dtype).clamp(-1.0 + 1e-7, 1.0 - 1e-7)
        sin = (1.0 - target * target).clamp(min=0.0).sqrt()
        phi = target * self.cos_m - sin * self.sin_m
        if self.easy_margin:
            phi = torch.where(target > 0, phi, target)
        else:
            phi = torch.where(target > self.threshold, phi, target - self.fallback_margin)
        return cos.scatter(1, index, phi.to(cos.dtype))
