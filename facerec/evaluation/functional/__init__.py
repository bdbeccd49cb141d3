"""Pure numpy evaluation functions."""

from . import detection, identification, landmarks, leave_one_out, verification
from .detection import *  # noqa: F401,F403
from .identification import *  # noqa: F401,F403
from .landmarks import *  # noqa: F401,F403
from .leave_one_out import *  # noqa: F401,F403
from .verification import *  # noqa: F401,F403

__all__ = [
    *verification.__all__,
    *landmarks.__all__,
    *identification.__all__,
    *detection.__all__,
    *leave_one_out.__all__,
]
