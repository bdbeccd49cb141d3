"""Adaptive curriculum margin head (CurricularFace)."""

from typing import List, Optional, Union

import torch
import torch.nn as nn

from facerec.registry import MODELS

from .arcface_head import ArcFaceHead
from .margins import CurricularFaceMargin


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
    hard negatives weigh more. ``t`` is a buffer of the margin saved under the
    head's key ``t``, updated without gradient before the modulation on every
    margin application in training mode (:meth:`loss`, or :meth:`forward` with
    labels); in distributed training it follows the buffer broadcast of the
    model wrapper. Easy negatives and the target keep their ArcFace values; the
    logits are scaled by ``s``.

    Args:
        num_classes (int): Number of identities.
        in_channels (int): Size of the input embeddings.
        s (float): Scale of the cosine logits. Defaults to 64.0.
        m (float): Angular margin in radians. Defaults to 0.5.
        momentum (float): Weight of the new batch in the update of ``t``, in
            ``[0, 1]``. Defaults to 0.01.
        loss, init_cfg: As in :class:`MarginHead`.
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
        margin = CurricularFaceMargin(m, momentum)
        super().__init__(num_classes, in_channels, s=s, loss=loss, init_cfg=init_cfg, margin=margin)
        self.momentum = margin.momentum

    @property
    def t(self) -> torch.Tensor:
        """The running mean of the target cosines (the margin's buffer)."""
        return self.margin.t
