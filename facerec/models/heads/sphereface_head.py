"""Multiplicative angular margin head (SphereFace / A-softmax)."""

from typing import List, Optional, Union

import torch
import torch.nn as nn

from facerec.registry import MODELS
from facerec.utils.checks import check_number

from .margin_head import MarginHead
from .margins import SphereFaceMargin, chebyshev_cos

__all__ = ['SphereFaceHead', 'chebyshev_cos']


@MODELS.register_module()
class SphereFaceHead(MarginHead):
    """Multiplicative angular margin head (A-softmax, Liu et al., CVPR 2017).

    The class weights are L2-normalised and the target logit ``cos(theta_y)`` is
    replaced by::

        psi(theta) = (-1)^k cos(m theta) - 2k,   theta in [k pi / m, (k + 1) pi / m],

    with ``k`` in ``0..m-1``, a monotonically decreasing extension of
    ``cos(m theta)`` over ``[0, pi]`` (``cos(m theta)`` is evaluated with the
    Chebyshev polynomial of ``cos(theta)``). As in the original training
    recipe, the margin logit is annealed towards ``psi`` by blending it with the
    plain cosine::

        target = (lambda * cos(theta_y) + psi(theta_y)) / (1 + lambda),
        lambda = max(lambda_min, base * (1 + gamma * iteration) ** (-power)),

    so early training is close to a plain (normalised-weight) softmax and the
    margin grows as ``lambda`` falls to ``lambda_min``. ``iteration`` is a buffer
    (saved with checkpoints) advanced by one on every :meth:`loss` call in
    training mode; :meth:`forward` uses the current ``lambda`` without advancing.

    The logits are scaled by the feature norm ``||x||`` when ``s`` is None, as
    in SphereFace (``||W_j|| = 1``, so the logit is ``||x|| * psi``; the norm is
    part of the graph), or by the fixed ``s`` otherwise, as in the normalised
    variants of later work.

    Args:
        num_classes (int): Number of identities.
        in_channels (int): Size of the input embeddings.
        m (int): Angular multiplier, a positive integer (1: no margin).
            Defaults to 4.
        s (float, optional): Fixed logit scale, or None to scale each sample by
            its feature norm. Defaults to None.
        base (float): Initial ``lambda``. Defaults to 1000.0.
        gamma (float): Decay rate of ``lambda``. Defaults to 0.12.
        power (float): Decay exponent of ``lambda``. Defaults to 1.0.
        lambda_min (float): Final ``lambda``. Defaults to 5.0.
        loss, init_cfg: As in :class:`MarginHead`.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        m: int = 4,
        s: Optional[float] = None,
        base: float = 1000.0,
        gamma: float = 0.12,
        power: float = 1.0,
        lambda_min: float = 5.0,
        loss: Union[dict, nn.Module, None] = None,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        margin = SphereFaceMargin(m, base, gamma, power, lambda_min)
        scale = 1.0 if s is None else check_number('s', s, low=0, low_open=True)
        super().__init__(num_classes, in_channels, margin, scale, loss, init_cfg)
        self.s = None if s is None else scale
        self.m = self.m_int = margin.m
        self.base, self.gamma, self.power = margin.base, margin.gamma, margin.power
        self.lambda_min = margin.lambda_min

    @property
    def iteration(self) -> torch.Tensor:
        """Number of training losses computed so far (the margin's buffer)."""
        return self.margin.iteration

    def lambda_at(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """The blending weight ``lambda`` at the current iteration, as a 0-d tensor.

        Args:
            dtype (torch.dtype): Floating dtype of the result. Defaults to float64.

        Returns:
            Tensor: ``lambda`` on the device of the head.
        """
        return self.margin.lambda_at(dtype)

    @property
    def current_lambda(self) -> float:
        """The blending weight ``lambda`` at the current iteration."""
        return float(self.lambda_at())

    def psi(self, cos: torch.Tensor) -> torch.Tensor:
        """The margin function ``(-1)^k cos(m theta) - 2k`` of the cosines.

        Args:
            cos (Tensor): Cosines in ``[-1, 1]``, any shape.

        Returns:
            Tensor: ``psi(theta)``, same shape as ``cos``.
        """
        return self.margin.psi(cos)

    def logit_scale(self, feats: torch.Tensor) -> Union[float, torch.Tensor]:
        """``s``, or the feature norms of shape (N, 1) when ``s`` is None.

        Args:
            feats (Tensor): Embeddings of shape (N, in_channels).

        Returns:
            float or Tensor: The logit scale.
        """
        if self.s is not None:
            return self.s
        return feats.norm(dim=1, keepdim=True)
