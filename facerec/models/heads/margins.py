"""Margins: turn cosine logits and labels into margin logits.

A margin is a small module shared by the replicated heads (:class:`MarginHead` and its
subclasses) and by :class:`PartialFCHead`. It sees a block of cosine columns and each
sample's target column in that block, or ``-1`` where the target class is not among the
columns (another rank's shard in Partial FC). Each sample's target cosine is passed in
separately, so a margin whose negatives depend on the target logit (CurricularFace,
support-vector mining) works on a shard as on the full matrix.
"""

import math
from typing import Optional

import torch
import torch.nn as nn

from facerec.registry import MODELS
from facerec.utils.checks import check_int, check_number, check_probability


def _lifted(cos: torch.Tensor) -> torch.Tensor:
    """Half-precision cosines lifted to float32 (float64 kept) for clamping near 1."""
    return cos.to(torch.float64 if cos.dtype == torch.float64 else torch.float32)


class Margin(nn.Module):
    """Base margin: the target logit is a function of the target cosine.

    Subclasses define :meth:`target_logit`; stateful ones :meth:`update` (before the
    logits, in training) or :meth:`after_loss` (after a training loss); margins that
    re-weight negatives :meth:`modulate_negatives`.

    Support-vector mining (SV-softmax, Wang et al., AAAI 2020) applies on top of any
    margin when :attr:`mining_t` is set: every non-target cosine above the sample's target
    logit becomes ``t * cos + t - 1``.
    """

    #: Scale of the support-vector negatives, or None for no mining.
    mining_t: Optional[float] = None

    def target_logit(self, cos_y: torch.Tensor) -> torch.Tensor:
        """The unscaled target logit of each sample.

        Args:
            cos_y (Tensor): Target cosines of shape (N,).

        Returns:
            Tensor: Target logits of shape (N,).
        """
        raise NotImplementedError

    def update(self, cos_y: torch.Tensor) -> None:
        """Update the running state from the batch's target cosines (training only)."""

    def after_loss(self) -> None:
        """Advance the state after a training loss (e.g. an annealing step)."""

    def modulate_negatives(self, cos: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Re-weight the negatives; the target columns are overwritten afterwards.

        Args:
            cos (Tensor): Cosines of shape (N, C).
            target (Tensor): Detached target logits of shape (N,).

        Returns:
            Tensor: Logits of shape (N, C).
        """
        return cos

    def forward(
        self, cos: torch.Tensor, labels: torch.Tensor, cos_y: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        """Unscaled margin logits.

        Args:
            cos (Tensor): Cosines of shape (N, C).
            labels (Tensor): Target column of each sample in ``cos``, or -1 where the
                target class is not among these columns, shape (N,).
            cos_y (Tensor, optional): Target cosine of each sample, shape (N,). Defaults
                to the cosines at ``labels`` (every label must then be a column).

        Returns:
            Tensor: Logits of shape (N, C).
        """
        index = labels.clamp(min=0).view(-1, 1)
        if cos_y is None:
            cos_y = cos.gather(1, index).view(-1)
        if self.training:
            self.update(cos_y.detach())
        target = self.target_logit(cos_y).to(cos.dtype)
        logits = self.modulate_negatives(cos, target.detach())
        if self.mining_t is not None:
            hard = cos > target.detach().view(-1, 1)
            logits = torch.where(hard, self.mining_t * cos + (self.mining_t - 1.0), logits)
        own = (labels >= 0).view(-1, 1)
        kept = logits.gather(1, index)
        return logits.scatter(1, index, torch.where(own, target.view(-1, 1), kept))


@MODELS.register_module()
class CosFaceMargin(Margin):
    """Additive cosine margin (AM-softmax / CosFace): the target logit is ``cos - m``.

    Args:
        m (float): Cosine margin, >= 0. Defaults to 0.35.
    """

    def __init__(self, m: float = 0.35) -> None:
        super().__init__()
        self.m = check_number('m', m, low=0)

    def target_logit(self, cos_y: torch.Tensor) -> torch.Tensor:
        return cos_y - self.m


@MODELS.register_module()
class ArcFaceMargin(Margin):
    """Additive angular margin (ArcFace): the target logit is ``cos(theta + m)``.

    Where ``theta + m`` would pass pi (``cos <= cos(pi - m)``) the target logit is
    ``cos - m * sin(pi - m)`` instead, which keeps it monotonic; with ``easy_margin`` the
    margin only applies where ``cos > 0``.

    Args:
        m (float): Angular margin in radians, >= 0. Defaults to 0.5.
        easy_margin (bool): Apply the margin only to positive cosines. Defaults to False.
    """

    def __init__(self, m: float = 0.5, easy_margin: bool = False) -> None:
        super().__init__()
        self.m = check_number('m', m, low=0)
        self.easy_margin = bool(easy_margin)

    def target_logit(self, cos_y: torch.Tensor) -> torch.Tensor:
        target = _lifted(cos_y).clamp(-1.0 + 1e-7, 1.0 - 1e-7)
        sin = (1.0 - target * target).clamp(min=0.0).sqrt()
        phi = target * math.cos(self.m) - sin * math.sin(self.m)
        if self.easy_margin:
            return torch.where(target > 0, phi, target)
        fallback = target - math.sin(math.pi - self.m) * self.m
        return torch.where(target > math.cos(math.pi - self.m), phi, fallback)


@MODELS.register_module()
class CombinedMargin(Margin):
    """Combined margin (insightface): the target logit is ``cos(m1 * theta + m2) - m3``.

    ``m1=1, m2=0, m3=m`` is CosFace, ``m1=1, m2=m, m3=0`` ArcFace and ``m1=m, m2=m3=0``
    SphereFace without annealing. Beyond ``m1 * theta + m2 = pi`` the cosine continues as
    the line ``-1 - (angle - pi)``, so the target logit keeps decreasing with ``theta``.

    Args:
        m1 (float): Multiplicative angular margin, >= 1. Defaults to 1.0.
        m2 (float): Additive angular margin in radians, >= 0. Defaults to 0.3.
        m3 (float): Additive cosine margin, >= 0. Defaults to 0.2.
    """

    def __init__(self, m1: float = 1.0, m2: float = 0.3, m3: float = 0.2) -> None:
        super().__init__()
        self.m1 = check_number('m1', m1, low=1)
        self.m2 = check_number('m2', m2, low=0)
        self.m3 = check_number('m3', m3, low=0)

    def target_logit(self, cos_y: torch.Tensor) -> torch.Tensor:
        theta = _lifted(cos_y).clamp(-1.0 + 1e-7, 1.0 - 1e-7).acos()
        angle = self.m1 * theta + self.m2
        beyond = -1.0 - (angle - math.pi)
        return torch.where(angle <= math.pi, angle.cos(), beyond) - self.m3


@MODELS.register_module()
class CurricularFaceMargin(ArcFaceMargin):
    """ArcFace target with curriculum-weighted hard negatives (CurricularFace).

    Every non-target cosine above the ArcFace target logit becomes ``cos * (t + cos)``,
    where the buffer ``t`` is a moving average of the batch-mean target cosine,
    ``t <- momentum * mean(cos_y) + (1 - momentum) * t``, updated in training.

    Args:
        m (float): Angular margin in radians. Defaults to 0.5.
        momentum (float): Weight of the new batch in the update of ``t``, in [0, 1].
            Defaults to 0.01.
    """

    def __init__(self, m: float = 0.5, momentum: float = 0.01) -> None:
        super().__init__(m=m)
        self.momentum = check_probability('momentum', momentum)
        self.register_buffer('t', torch.zeros(()))

    @torch.no_grad()
    def update(self, cos_y: torch.Tensor) -> None:
        batch_mean = cos_y.mean().to(self.t.dtype)
        self.t.mul_(1.0 - self.momentum).add_(self.momentum * batch_mean)

    def modulate_negatives(self, cos: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        t = self.t.to(cos.dtype)
        return torch.where(cos > target.view(-1, 1), cos * (t + cos), cos)


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
class SphereFaceMargin(Margin):
    """Annealed multiplicative angular margin (SphereFace / A-softmax).

    The target logit is ``(lambda * cos + psi(theta)) / (1 + lambda)`` with
    ``psi(theta) = (-1)^k cos(m theta) - 2k`` on ``[k pi / m, (k + 1) pi / m]`` and
    ``lambda = max(lambda_min, base * (1 + gamma * iteration) ** (-power))``; the buffer
    ``iteration`` advances by one per training loss (:meth:`after_loss`).

    Args:
        m (int): Angular multiplier, >= 1. Defaults to 4.
        base (float): Initial ``lambda``. Defaults to 1000.0.
        gamma (float): Decay rate of ``lambda``. Defaults to 0.12.
        power (float): Decay exponent of ``lambda``. Defaults to 1.0.
        lambda_min (float): Final ``lambda``. Defaults to 5.0.
    """

    def __init__(
        self,
        m: int = 4,
        base: float = 1000.0,
        gamma: float = 0.12,
        power: float = 1.0,
        lambda_min: float = 5.0,
    ) -> None:
        super().__init__()
        self.m = check_int('m', m, low=1)
        self.base = check_number('base', base, low=0)
        self.gamma = check_number('gamma', gamma, low=0)
        self.power = check_number('power', power, low=0)
        self.lambda_min = check_number('lambda_min', lambda_min, low=0)
        self.register_buffer('iteration', torch.zeros((), dtype=torch.long))

    def lambda_at(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """The blending weight ``lambda`` at the current iteration, as a 0-d tensor."""
        it = self.iteration.to(dtype)
        lam = self.base * (1.0 + self.gamma * it) ** (-self.power)
        return lam.clamp(min=self.lambda_min)

    def psi(self, cos: torch.Tensor) -> torch.Tensor:
        """The margin function ``(-1)^k cos(m theta) - 2k`` of the cosines."""
        with torch.no_grad():
            theta = cos.clamp(-1.0, 1.0).acos()
            k = torch.floor(self.m * theta / math.pi).clamp(0, self.m - 1)
            sign = 1.0 - 2.0 * torch.remainder(k, 2.0)
        return sign * chebyshev_cos(cos, self.m) - 2.0 * k

    def target_logit(self, cos_y: torch.Tensor) -> torch.Tensor:
        target = _lifted(cos_y).clamp(-1.0, 1.0)
        lam = self.lambda_at(target.dtype)
        return (lam * target + self.psi(target)) / (1.0 + lam)

    def after_loss(self) -> None:
        self.iteration += 1


def build_margin(cfg: dict) -> Margin:
    """Build a margin from ``dict(type=<name>, **args)`` (a registered :class:`Margin`).

    Args:
        cfg (dict or Margin): The margin config, e.g. ``dict(type='ArcFaceMargin', m=0.5)``.

    Returns:
        Margin: The margin module.
    """
    if isinstance(cfg, Margin):
        return cfg
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise TypeError(f'margin must be a dict with a `type` key, got {cfg!r}')
    cls = MODELS.get(cfg['type']) if isinstance(cfg['type'], str) else cfg['type']
    if not (isinstance(cls, type) and issubclass(cls, Margin)):
        known = sorted(
            k
            for k, v in MODELS.module_dict.items()
            if isinstance(v, type) and issubclass(v, Margin)
        )
        raise ValueError(f'margin type must be one of {known}, got {cfg["type"]!r}')
    return MODELS.build(cfg)


def flatten_margin_state(module: nn.Module) -> None:
    """Keep a ``margin`` submodule's buffers under the owner's own keys in state dicts.

    ``module.margin.t`` is saved as ``t`` and loaded from ``t``, so heads that held their
    state directly keep their checkpoint keys.

    Args:
        module (nn.Module): A module with a ``margin`` submodule.
    """

    def save_hook(mod, state_dict, prefix, local_metadata):
        for name in list(mod.margin._buffers):
            key = f'{prefix}margin.{name}'
            if key in state_dict:
                state_dict[f'{prefix}{name}'] = state_dict.pop(key)
        return state_dict

    def load_hook(state_dict, prefix, *args):
        for name in list(module.margin._buffers):
            key = f'{prefix}{name}'
            if key in state_dict:
                state_dict[f'{prefix}margin.{name}'] = state_dict.pop(key)

    module._register_state_dict_hook(save_hook)
    module._register_load_state_dict_pre_hook(load_hook)
