"""Model utilities shared across components."""

from .ddp import ShardedDistributedDataParallel
from .distributed import (
    all_gather_with_grad,
    all_reduce_replicated,
    dist_info,
    shard_range,
    sharded_parameter_names,
)
from .sharded_checkpoint import (
    full_sharded_state,
    merge_checkpoints,
    merge_rows,
    shard_optimizer_state,
    split_checkpoint,
    split_rows,
)

__all__ = [
    'ShardedDistributedDataParallel',
    'all_gather_with_grad',
    'all_reduce_replicated',
    'dist_info',
    'shard_range',
    'sharded_parameter_names',
    'full_sharded_state',
    'shard_optimizer_state',
    'split_rows',
    'merge_rows',
    'split_checkpoint',
    'merge_checkpoints',
]
