"""Margin-based classification heads used during training."""

from .am_softmax_head import AMSoftmaxHead
from .arcface_head import ArcFaceHead
from .curricularface_head import CurricularFaceHead
from .linear_head import LinearHead
from .margin_head import MarginHead
from .margins import (
    ArcFaceMargin,
    CombinedMargin,
    CosFaceMargin,
    CurricularFaceMargin,
    Margin,
    SphereFaceMargin,
    build_margin,
)
from .partial_fc_head import PartialFCHead
from .sphereface_head import SphereFaceHead

__all__ = [
    'MarginHead',
    'AMSoftmaxHead',
    'ArcFaceHead',
    'SphereFaceHead',
    'CurricularFaceHead',
    'LinearHead',
    'PartialFCHead',
    'Margin',
    'CosFaceMargin',
    'ArcFaceMargin',
    'CombinedMargin',
    'CurricularFaceMargin',
    'SphereFaceMargin',
    'build_margin',
]
