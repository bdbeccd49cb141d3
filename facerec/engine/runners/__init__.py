from .checkpoint_loading import (
    load_local_checkpoint,
    safe_checkpoint_globals,
    trusted_checkpoint_loading,
)
from .face_runner import FaceRunner, init_cpu_dist

__all__ = [
    'FaceRunner',
    'init_cpu_dist',
    'load_local_checkpoint',
    'safe_checkpoint_globals',
    'trusted_checkpoint_loading',
]
