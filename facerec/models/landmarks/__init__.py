"""Facial landmark models: the landmark networks and the regressor that trains them."""

from .landmark_regressor import LandmarkRegressor
from .landnet import LandNet

__all__ = ['LandNet', 'LandmarkRegressor']
