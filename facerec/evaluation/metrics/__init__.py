"""Metrics registered in ``facerec.registry.METRICS``."""

from .identification_metric import IdentificationMetric
from .landmarks_metric import LandmarksMetric
from .lfw_metric import LFWMetric

__all__ = ['LFWMetric', 'LandmarksMetric', 'IdentificationMetric']
