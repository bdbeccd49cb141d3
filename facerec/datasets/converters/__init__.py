"""Converters from public annotation formats to the formats facerec reads."""

from .ndg import convert_landmarks_to_ndg, write_ndg_json

__all__ = ['convert_landmarks_to_ndg', 'write_ndg_json']
