"""facerec: face recognition and facial landmark toolkit built on mmengine."""

from .version import __version__

__all__ = ['__version__']
