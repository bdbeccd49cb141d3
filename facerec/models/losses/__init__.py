"""Classification losses for face recognition training."""

from .cross_entropy_loss import CrossEntropyLoss
from .focal_loss import FocalLoss

__all__ = ['CrossEntropyLoss', 'FocalLoss']
