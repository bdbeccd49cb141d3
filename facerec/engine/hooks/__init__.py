from .channels_last_hook import ChannelsLastHook
from .compression_hook import CompressionHook
from .non_finite_guard_hook import NonFiniteGuardHook
from .num_classes_check_hook import NumClassesCheckHook
from .progress_bar_hook import ProgressBarHook
from .sharded_checkpoint_hook import ShardedCheckpointHook
from .throughput_hook import ThroughputHook

__all__ = [
    'ChannelsLastHook',
    'CompressionHook',
    'NonFiniteGuardHook',
    'NumClassesCheckHook',
    'ProgressBarHook',
    'ShardedCheckpointHook',
    'ThroughputHook',
]
