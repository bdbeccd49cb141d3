"""Margin-based classification heads used during training."""

from .am_softmax_head import AMSoftmaxHead
from .arcface_head import ArcFaceHead
from .margin_head import MarginHead

__all__ = ['MarginHead', 'AMSoftmaxHead', 'ArcFaceHead']
