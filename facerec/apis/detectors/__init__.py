"""Face detectors behind one interface, registered in ``facerec.registry.DETECTORS``."""

from .base_detector import BaseFaceDetector, FaceDetections, check_bgr_image
from .mtcnn_detector import MTCNNDetector
from .openvino_ssd_detector import OpenVINOSSDDetector, parse_detection_output

__all__ = [
    'BaseFaceDetector',
    'FaceDetections',
    'MTCNNDetector',
    'OpenVINOSSDDetector',
    'check_bgr_image',
    'parse_detection_output',
]
