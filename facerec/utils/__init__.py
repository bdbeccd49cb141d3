from .config_loading import add_config_args, load_config
from .model_loading import build_model, load_weights_only
from .process import exit_on_signals, stop_child_processes, workers_die_with_parent
from .runner_utils import METRIC_ALIASES, build_runner, enable_amp, set_test_metric
from .setup_env import register_all_modules

__all__ = [
    'METRIC_ALIASES',
    'add_config_args',
    'build_model',
    'build_runner',
    'enable_amp',
    'exit_on_signals',
    'load_config',
    'load_weights_only',
    'register_all_modules',
    'set_test_metric',
    'stop_child_processes',
    'workers_die_with_parent',
]
