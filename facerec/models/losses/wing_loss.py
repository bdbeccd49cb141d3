"""Regression losses for landmark training: Wing, L1 and MSE."""

import math
from typing import Callable, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from facerec.registry import MODELS
from facerec.utils.checks import check_choice, check_number, check_positive_number

__all__ = ['WingLoss', 'L1Loss', 'MSELoss']

_REDUCTIONS = ('mean', 'sum', 'none')


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


class _CoordinateLoss(nn.Module):
    """Base of the weighted, reduced losses between predicted and target coordinates.

    :meth:`forward` checks the shapes, casts the target to the dtype of the prediction, calls
    :meth:`compute` and applies ``loss_weight``. Subclasses set :attr:`loss_fn`, a function
    called as ``loss_fn(pred, target, reduction=reduction)`` such as ``F.l1_loss``, or override
    :meth:`compute`.

    Args:
        loss_weight: Factor the loss is multiplied by. Defaults to 1.0.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``. Defaults to ``'mean'``.
    """

    loss_fn: Optional[Callable[..., torch.Tensor]] = None

    def __init__(self, loss_weight: float = 1.0, reduction: str = 'mean') -> None:
        super().__init__()
        self.loss_weight = check_number('loss_weight', loss_weight, low=0)
        self.reduction = check_choice('reduction', reduction, _REDUCTIONS)

    def compute(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Compute the unweighted loss with :attr:`reduction`.

        Args:
            pred: Predictions.
            target: Targets of the shape and dtype of ``pred``.

        Returns:
            torch.Tensor: The reduced loss, or the element-wise loss with ``reduction='none'``.
        """
        if self.loss_fn is None:
            raise NotImplementedError(f'{type(self).__name__} must set loss_fn or override compute')
        return self.loss_fn(pred, target, reduction=self.reduction)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred: Predictions, any shape (e.g. ``(N, K, 2)`` coordinates).
            target: Targets, same shape as ``pred``.

        Returns:
            torch.Tensor: The reduced loss, or the element-wise loss with ``reduction='none'``.
        """
        _check_shapes(pred, target)
        return self.loss_weight * self.compute(pred, target.to(pred.dtype))


@MODELS.register_module()
class WingLoss(_CoordinateLoss):
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
        w = check_positive_number('w', w)
        epsilon = check_positive_number('epsilon', epsilon)
        scale = check_positive_number('scale', scale)
        super().__init__(loss_weight, reduction)
        self.w = w
        self.epsilon = epsilon
        self.scale = scale
        self.C = self.w - self.w * math.log1p(self.w / self.epsilon)

    def compute(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Compute the unweighted Wing loss with :attr:`reduction`.

        Args:
            pred: Predicted coordinates.
            target: Target coordinates of the shape and dtype of ``pred``.

        Returns:
            torch.Tensor: The reduced loss, or the element-wise loss with ``reduction='none'``.
        """
        diff = (self.scale * (pred - target)).abs()
        loss = torch.where(diff < self.w, self.w * torch.log1p(diff / self.epsilon), diff - self.C)
        return _reduce(loss, self.reduction)


@MODELS.register_module()
class L1Loss(_CoordinateLoss):
    """Absolute error between predicted and target coordinates.

    Args:
        loss_weight: Factor the loss is multiplied by. Defaults to 1.0.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``. Defaults to ``'mean'``.
    """

    loss_fn = staticmethod(F.l1_loss)


@MODELS.register_module()
class MSELoss(_CoordinateLoss):
    """Squared error between predicted and target coordinates.

    Args:
        loss_weight: Factor the loss is multiplied by. Defaults to 1.0.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``. Defaults to ``'mean'``.
    """

    loss_fn = staticmethod(F.mse_loss)
