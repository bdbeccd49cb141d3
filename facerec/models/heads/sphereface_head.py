"""Multiplicative angular margin head (SphereFace / A-softmax)."""

import math
import numbers
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn

from facerec.registry import MODELS

from .margin_head import MarginHead


def chebyshev_cos(cos: torch.Tensor, m: int) -> torch.Tensor:
    """``cos(m * theta)`` from ``cos(theta)`` by the Chebyshev recurrence.

    ``T_0 = 1``, ``T_1 = c`` and ``T_{k+1} = 2 c T_k - T_{k-1}``; unlike
    ``cos(m * acos(c))`` it has a finite gradient at ``c = +-1``.

    Args:
        cos (Tensor): Cosines, any shape.
        m (int): Multiplier, at least 1.

    Returns:
        Tensor: ``cos(m * theta)``, same shape as ``cos``.
    """
    prev, cur = torch.ones_like(cos), cos
    for _ in range(m - 1):
        prev, cur = cur, 2.0 * cos * cur - prev
    return cur


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
        loss (dict or nn.Module): Classification loss config or module.
            Defaults to ``dict(type='CrossEntropyLoss')``.
        init_cfg (dict or list[dict], optional): Initialisation config.
            Defaults to None.
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
        if isinstance(m, bool) or not isinstance(m, numbers.Integral) or m < 1:
            raise ValueError(f'm must be a positive int, got {m!r}')
        for name, value in (('base', base), ('gamma', gamma), ('power', power)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
                raise ValueError(f'{name} must be a non-negative number, got {value!r}')
        if isinstance(lambda_min, bool) or not isinstance(lambda_min, numbers.Real):
            raise ValueError(f'lambda_min must be a non-negative number, got {lambda_min!r}')
        if not lambda_min >= 0:
            raise ValueError(f'lambda_min must be a non-negative number, got {lambda_min!r}')
        super().__init__(
            num_classes,
            in_channels,
            s=1.0 if s is None else s,
            m=m,
            loss=loss,
            init_cfg=init_cfg,
        )
        self.s = None if s is None else float(s)
        self.m_int = int(m)
        self.base = float(base)
        self.gamma = float(gamma)
        self.power = float(power)
        self.lambda_min = float(lambda_min)
        self.register_buffer('iteration', torch.zeros((), dtype=torch.long))

    def lambda_at(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """The blending weight ``lambda`` at the current iteration, as a 0-d tensor.

        Args:
            dtype (torch.dtype): Floating dtype of the result. Defaults to float64.

        Returns:
            Tensor: ``lambda`` on the device of the head.
        """
        it = self.iteration.to(dtype)
        lam = self.base * (1.0 + self.gamma * it) ** (-self.power)
        return lam.clamp(min=self.lambda_min)

    @property
    def current_lambda(self) -> float:
        """The blending weight ``lambda`` at the current iteration."""
        return float(self.lambda_at())

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

    def psi(self, cos: torch.Tensor) -> torch.Tensor:
        """The margin function ``(-1)^k cos(m theta) - 2k`` of the cosines.

        Args:
            cos (Tensor): Cosines in ``[-1, 1]``, any shape.

        Returns:
            Tensor: ``psi(theta)``, same shape as ``cos``.
        """
        m = self.m_int
        with torch.no_grad():
            theta = cos.clamp(-1.0, 1.0).acos()
            k = torch.floor(m * theta / math.pi).clamp(0, m - 1)
            sign = 1.0 - 2.0 * torch.remainder(k, 2.0)
        return sign * chebyshev_cos(cos, m) - 2.0 * k

    def apply_margin(self, cos: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Replace the target-class cosines by the annealed ``psi(theta_y)``.

        Args:
            cos (Tensor): Cosines of shape (N, num_classes).
            labels (Tensor): Target class indices of shape (N,).

        Returns:
            Tensor: Unscaled logits of shape (N, num_classes).
        """
        index = labels.view(-1, 1)
        dtype = torch.float64 if cos.dtype == torch.float64 else torch.float32
        target = cos.gather(1, index).to(dtype).clamp(-1.0, 1.0)
        lam = self.lambda_at(dtype)
        phi = (lam * target + self.psi(target)) / (1.0 + lam)
        return cos.scatter(1, index, phi.to(cos.dtype))

    def loss(self, feats: torch.Tensor, labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Compute the loss and accuracy, then advance ``iteration`` when training.

        Args:
            feats (Tensor): Embeddings of shape (N, in_channels).
            labels (Tensor): Target class indices of shape (N,).

        Returns:
            dict[str, Tensor]: ``loss_cls`` and ``accuracy`` as in
            :meth:`MarginHead.loss`.
        """
        losses = super().loss(feats, labels)
        if self.training:
            self.iteration += 1
        return losses
