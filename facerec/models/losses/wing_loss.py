"""Regression losses for landmark training: Wing, L1 and MSE."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from facerec.registry import MODELS

__all__ = ['WingLoss', 'L1Loss', 'MSELoss']

_REDUCTIONS = ('mean', 'sum', 'none')


def _check_reduction(reduction: str) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f'reduction must be one of {_REDUCTIONS}, got {reduction!r}')
    return reduction


def _check_positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f'{name} must be a positive number, got {value!r}')
    return float(value)


def _check_shapes(pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.shape != target.shape:
        raise ValueError(
            f'pred and target must have the same shape, got {tuple(pred.shape)} '
            f'and {tuple(target.shape)}'
        )


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == 'mean':
        return loss.mean()
    if reduction == 'sum':
        return loss.sum()
    return loss


@MODELS.register_module()
class WingLoss(nn.Module):
    """Wing loss for landmark regression (Feng et al., CVPR 2018).

    With ``x = scale * (pred - target)`` for every coordinate::

        wing(x) = w * ln(1 + |x| / epsilon)   if |x| < w
                  |x| - C                     otherwise,   C = w - w * ln(1 + w / epsilon)

    ``C`` makes the two pieces meet at ``|x| = w``. The logarithmic part gives small and medium
    errors a larger gradient than L1 does; beyond ``w`` the loss is L1.

    The landmark models of facerec predict coordinates normalised to ``[0, 1]`` of the input
    image, while ``w`` and ``epsilon`` are meant in pixels. ``scale`` multiplies both ``pred`` and
    ``target`` before the loss, so with ``scale`` equal to the input side in pixels (48 for the
    default LandNet) ``w`` and ``epsilon`` are pixel distances: errors below 10 px are in the
    logarithmic part with the defaults. Set ``scale`` to the input size of the network, or to 1
    when the coordinates already are in pixels.

    Args:
        w: Width of the non-linear part, in the units of ``scale * coordinates``. Defaults to
            10.0.
        epsilon: Curvature of the non-linear part (smaller is sharper). Defaults to 2.0.
        scale: Factor applied to ``pred`` and ``target`` before the loss. Defaults to 48.0.
        loss_weight: Factor the loss is multiplied by. Defaults to 1.0.
        reduction: ``'mean'`` (over all coordinates), ``'sum'`` or ``'none'`` (element-wise).
            Defaults to ``'mean'``.
    """

    def __init__(
        self,
        w: float = 10.0,
        epsilon: float = 2.0,
        scale: float = 48.0,
        loss_weight: float = 1.0,
        reduction: str = 'mean',
    ) -> None:
        super().__init__()
        self.w = _check_positive('w', w)
        self.epsilon = _check_positive('epsilon', epsilon)
        self.scale = _check_positive('scale', scale)
        self.loss_weight = float(loss_weight)
        self.reduction = _check_reduction(reduction)
        self.C = self.w - self.w * math.log1p(self.w / self.epsilon)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred: Predicted coordinates, any shape (e.g. ``(N, K, 2)``).
            target: Target coordinates, same shape as ``pred``.

        Returns:
            torch.Tensor: The scalar loss, or the element-wise loss with ``reduction='none'``.
        """
        _check_shapes(pred, target)
        diff = (self.scale * (pred - target.to(pred.dtype))).abs()
        loss = torch.where(diff < self.w, self.w * torch.log1p(diff / self.epsilon), diff - self.C)
        return self.loss_weight * _reduce(loss, self.reduction)


@MODELS.register_module()
class L1Loss(nn.Module):
    """Absolute error between predicted and target coordinates.

    Args:
        loss_weight: Factor the loss is multiplied by. Defaults to 1.0.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``. Defaults to ``'mean'``.
    """

    def __init__(self, loss_weight: float = 1.0, reduction: str = 'mean') -> None:
        super().__init__()
        self.loss_weight = float(loss_weight)
        self.reduction = _check_reduction(reduction)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred: Predictions, any shape.
            target: Targets, same shape as ``pred``.

        Returns:
            torch.Tensor: The reduced loss, or the element-wise loss with ``reduction='none'``.
        """
        _check_shapes(pred, target)
        loss = F.l1_loss(pred, target.to(pred.dtype), reduction=self.reduction)
        return self.loss_weight * loss


@MODELS.register_module()
class MSELoss(nn.Module):
    """Squared error between predicted and target coordinates.

    Args:
        loss_weight: Factor the loss is multiplied by. Defaults to 1.0.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``. Defaults to ``'mean'``.
    """

    def __init__(self, loss_weight: float = 1.0, reduction: str = 'mean') -> None:
        super().__init__()
        self.loss_weight = float(loss_weight)
        self.reduction = _check_reduction(reduction)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred: Predictions, any shape.
            target: Targets, same shape as ``pred``.

        Returns:
            torch.Tensor: The reduced loss, or the element-wise loss with ``reduction='none'``.
        """
        _check_shapes(pred, target)
        loss = F.mse_loss(pred, target.to(pred.dtype), reduction=self.reduction)
        return self.loss_weight * loss
