"""Classification losses for face recognition training."""

from .cross_entropy_loss import CrossEntropyLoss
from .distillation_losses import (
    CosineEmbeddingDistillLoss,
    EmbeddingDistillLoss,
    MSEEmbeddingDistillLoss,
    RelationalDistillLoss,
)
from .focal_loss import FocalLoss
from .metric_losses import AuxiliaryLoss, CenterLoss, MinMarginLoss, PushLoss
from .wing_loss import L1Loss, MSELoss, WingLoss

__all__ = [
    'CrossEntropyLoss',
    'FocalLoss',
    'WingLoss',
    'L1Loss',
    'MSELoss',
    'AuxiliaryLoss',
    'CenterLoss',
    'PushLoss',
    'MinMarginLoss',
    'EmbeddingDistillLoss',
    'CosineEmbeddingDistillLoss',
    'MSEEmbeddingDistillLoss',
    'RelationalDistillLoss',
]
