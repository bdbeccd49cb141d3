from .runner_utils import METRIC_ALIASES, build_runner, set_test_metric
from .setup_env import register_all_modules

__all__ = ['METRIC_ALIASES', 'build_runner', 'register_all_modules', 'set_test_metric']
