"""Evaluation: pure numpy functions and mmengine metrics."""

from .functional import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
