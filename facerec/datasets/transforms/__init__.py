from .alignment import (
    ARCFACE_TEMPLATE_112,
    AlignFace,
    CenterCropResize,
    estimate_similarity_transform,
    get_template,
    transform_points,
)
from .augmentations import ColorJitter, FaceCutOut, RandomRotation
from .base import BaseTransform
from .face_box import BoxFromLandmarks, FixedFaceBox
from .formatting import PackFaceInputs
from .landmark_transforms import (
    CropFaceBox,
    RandomBlur,
    RandomBoxJitter,
    RandomRotateFace,
    crop_box,
    expand_box,
    landmark_box,
)
from .landmarks_from_model import LandmarksFromModel
from .loading import LoadImageFromFile, read_image
from .processing import RandomFlip
from .teacher_view import PackTeacherInputs, TeacherView

__all__ = [
    'ARCFACE_TEMPLATE_112',
    'AlignFace',
    'BaseTransform',
    'BoxFromLandmarks',
    'ColorJitter',
    'FaceCutOut',
    'RandomRotation',
    'CenterCropResize',
    'CropFaceBox',
    'FixedFaceBox',
    'LandmarksFromModel',
    'LoadImageFromFile',
    'PackFaceInputs',
    'PackTeacherInputs',
    'RandomBlur',
    'RandomBoxJitter',
    'RandomFlip',
    'RandomRotateFace',
    'TeacherView',
    'crop_box',
    'estimate_similarity_transform',
    'expand_box',
    'get_template',
    'landmark_box',
    'read_image',
    'transform_points',
]
