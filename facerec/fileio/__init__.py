from .atomic_local_backend import AtomicLocalBackend, atomic_write, remove_stale_temp_files
from .safe_yaml import SafeConfigLoader, SafeYamlHandler, safe_load_yaml

__all__ = [
    'AtomicLocalBackend',
    'SafeConfigLoader',
    'SafeYamlHandler',
    'atomic_write',
    'remove_stale_temp_files',
    'safe_load_yaml',
]
