from .atomic_local_backend import AtomicLocalBackend, atomic_write
from .safe_yaml import SafeConfigLoader, SafeYamlHandler, safe_load_yaml

__all__ = [
    'AtomicLocalBackend',
    'SafeConfigLoader',
    'SafeYamlHandler',
    'atomic_write',
    'safe_load_yaml',
]
