"""Metrics registered in ``facerec.registry.METRICS``."""

from .lfw_metric import LFWMetric

__all__ = ['LFWMetric']
