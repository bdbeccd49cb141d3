"""Inference: face detectors, model backends, the recognition pipeline, galleries and the demo."""

from .detectors import BaseFaceDetector, FaceDetections, MTCNNDetector, OpenVINOSSDDetector
from .face_demo import (
    build_detector,
    build_pipeline,
    embed_identity_folders,
    enroll_gallery,
    evaluate_leave_one_out,
    gallery_path,
    identity_photos,
    load_gallery,
    recognize,
)
from .face_gallery import MATCH_MODES, FaceGallery, GalleryError
from .face_pipeline import FaceLandmarker, FaceRecognitionPipeline, FrameFaces, probe_images
from .inference_model import (
    InferenceModel,
    TorchModel,
    alignment_params,
    load_inference_model,
)
from .visualization import draw_faces

__all__ = [
    'BaseFaceDetector',
    'FaceDetections',
    'FaceGallery',
    'FaceLandmarker',
    'FaceRecognitionPipeline',
    'FrameFaces',
    'GalleryError',
    'InferenceModel',
    'MATCH_MODES',
    'MTCNNDetector',
    'OpenVINOSSDDetector',
    'TorchModel',
    'alignment_params',
    'build_detector',
    'build_pipeline',
    'draw_faces',
    'embed_identity_folders',
    'enroll_gallery',
    'evaluate_leave_one_out',
    'gallery_path',
    'identity_photos',
    'load_gallery',
    'load_inference_model',
    'probe_images',
    'recognize',
]
