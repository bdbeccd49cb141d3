from .config_loading import add_config_args, load_config
from .runner_utils import METRIC_ALIASES, build_runner, enable_amp, set_test_metric
from .setup_env import register_all_modules

__all__ = [
    'METRIC_ALIASES',
    'add_config_args',
    'build_runner',
    'enable_amp',
    'load_config',
    'register_all_modules',
    'set_test_metric',
]
