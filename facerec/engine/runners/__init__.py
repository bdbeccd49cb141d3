from .checkpoint_loading import (
    checkpoint_state_dict,
    latest_checkpoint,
    load_for_inference,
    load_local_checkpoint,
    load_weights,
    safe_checkpoint_globals,
    trusted_checkpoint_loading,
)
from .face_runner import FaceRunner, init_cpu_dist

__all__ = [
    'FaceRunner',
    'checkpoint_state_dict',
    'load_for_inference',
    'load_weights',
    'init_cpu_dist',
    'latest_checkpoint',
    'load_local_checkpoint',
    'safe_checkpoint_globals',
    'trusted_checkpoint_loading',
]
