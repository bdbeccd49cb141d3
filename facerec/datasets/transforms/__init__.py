from .alignment import (
    ARCFACE_TEMPLATE_112,
    AlignFace,
    CenterCropResize,
    estimate_similarity_transform,
    get_template,
    transform_points,
)
from .base import BaseTransform
from .formatting import PackFaceInputs
from .loading import LoadImageFromFile, read_image
from .processing import RandomFlip

__all__ = [
    'ARCFACE_TEMPLATE_112',
    'AlignFace',
    'BaseTransform',
    'CenterCropResize',
    'LoadImageFromFile',
    'PackFaceInputs',
    'RandomFlip',
    'estimate_similarity_transform',
    'get_template',
    'read_image',
    'transform_points',
]
