"""Adaptive curriculum margin head (CurricularFace)."""

import numbers
from typing import List, Optional, Union

import torch
import torch.nn as nn

from facerec.registry import MODELS

from .arcface_head import ArcFaceHead


@MODELS.register_module()
class CurricularFaceHead(ArcFaceHead):
    """ArcFace margin with curriculum-weighted hard negatives (Huang et al., CVPR 2020).

    The target logit is the ArcFace one, ``cos(theta_y + m)`` (with the same
    monotonic fallback ``cos - m * sin(pi - m)`` where ``theta_y + m > pi``, see
    :class:`ArcFaceHead`). Every non-target cosine greater than that target
    logit is a hard negative and becomes ``cos * (t + cos)``, where ``t`` is an
    exponential moving average of the batch-mean target cosine::

        t <- momentum * mean(cos(theta_y)) + (1 - momentum) * t,    t_0 = 0.

    Early in training ``t`` is near 0 and hard negatives are down-weighted
    (easy samples dominate); as the target cosines grow, ``t`` grows and the
    hard negatives weigh more. ``t`` is a buffer (saved with checkpoints),
    updated without gradient before the modulation on every margin application
    in training mode (:meth:`loss`, or :meth:`forward` with labels); in
    distributed training it follows the buffer broadcast of the model wrapper.
    Easy negatives and the target keep their ArcFace values; the logits are
    scaled by ``s``.

    Args:
        num_classes (int): Number of identities.
        in_channels (int): Size of the input embeddings.
        s (float): Scale of the cosine logits. Defaults to 64.0.
        m (float): Angular margin in radians. Defaults to 0.5.
        momentum (float): Weight of the new batch in the update of ``t``, in
            ``[0, 1]``. Defaults to 0.01.
        loss (dict or nn.Module): Classification loss config or module.
            Defaults to ``dict(type='CrossEntropyLoss')``.
        init_cfg (dict or list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        s: float = 64.0,
        m: float = 0.5,
        momentum: float = 0.01,
        loss: Union[dict, nn.Module, None] = None,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real):
            raise ValueError(f'momentum must be a number in [0, 1], got {momentum!r}')
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f'momentum must be a number in [0, 1], got {momentum!r}')
        super().__init__(num_classes, in_channels, s=s, m=m, loss=loss, init_cfg=init_cfg)
        self.momentum = float(momentum)
        self.register_buffer('t', torch.zeros(()))

    def apply_margin(self, cos: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Apply the ArcFace margin to the targets and modulate the hard negatives.

        Args:
            cos (Tensor): Cosines of shape (N, num_classes).
            labels (Tensor): Target class indices of shape (N,).

        Returns:
            Tensor: Unscaled logits of shape (N, num_classes).
        """
        logits = super().apply_margin(cos, labels)
        index = labels.view(-1, 1)
        if self.training:
            with torch.no_grad():
                batch_mean = cos.gather(1, index).mean().to(self.t.dtype)
                self.t.mul_(1.0 - self.momentum).add_(self.momentum * batch_mean)
        t = self.t.to(cos.dtype)
        target = logits.gather(1, index)
        negative = torch.ones_like(cos, dtype=torch.bool).scatter(1, index, False)
        hard = negative & (cos > target)
        return torch.where(hard, cos * (t + cos), logits)
