"""Models of facerec: backbones, heads, losses, recognizers, distillers and data preprocessors."""

from .backbones import *  # noqa: F401,F403
from .compression import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .distillers import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .landmarks import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .recognizers import *  # noqa: F401,F403
