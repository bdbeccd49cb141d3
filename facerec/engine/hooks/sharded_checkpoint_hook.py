"""Checkpoint hook for models with row-sharded parameters (Partial FC)."""

import contextlib
from typing import Iterator

from mmengine.hooks import CheckpointHook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper

from facerec.models.utils.distributed import SHARD_ATTR
from facerec.models.utils.sharded_checkpoint import full_sharded_state, shard_optimizer_state
from facerec.registry import HOOKS


@HOOKS.register_module()
class ShardedCheckpointHook(CheckpointHook):
    """:class:`CheckpointHook` that writes full tensors for row-sharded parameters.

    Saving gathers each rank's rows of the sharded parameters and of their optimiser
    state to rank 0, which writes an ordinary checkpoint (the same keys and shapes as a
    replicated head); loading (resume or ``load_from``) takes this rank's rows back out
    of the checkpoint before the weights and optimiser state are restored. Checkpoints
    therefore resume on any world size and load into the replicated heads as they are.
    Rank 0 briefly holds the full sharded tensors (see the README on memory).

    Takes the arguments of :class:`CheckpointHook`.
    """

    _gathering = False
    _hiding = None

    def before_run(self, runner) -> None:
        """Hide the shards from the state-dict broadcast that follows ``init_weights``.

        mmengine's runner broadcasts every entry of ``model.state_dict()`` from rank 0
        after initialising the weights, which would copy rank 0's centres over every
        rank's own (or fail where the shards differ in size). The sharded keys are left out
        of the state dict until the first checkpoint load or the start of training.
        """
        super().before_run(runner)
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        names = [n for n, p in model.named_parameters() if hasattr(p, SHARD_ATTR)]
        if not names:
            return

        def drop_shards(module, state_dict, prefix, local_metadata):
            for name in names:
                state_dict.pop(prefix + name, None)
            return state_dict

        self._hiding = model._register_state_dict_hook(drop_shards)

    def _show_shards(self) -> None:
        if self._hiding is not None:
            self._hiding.remove()
            self._hiding = None

    def before_train(self, runner) -> None:
        self._show_shards()
        super().before_train(runner)

    @contextlib.contextmanager
    def _full_state(self, runner) -> Iterator[None]:
        if self._gathering:
            yield
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        optim = runner.optim_wrapper
        optimizer = optim.optimizer if isinstance(optim, OptimWrapper) else None
        self._gathering = True
        try:
            with full_sharded_state(model, optimizer):
                yield
        finally:
            self._gathering = False

    def _save_checkpoint_with_step(self, runner, step, meta):
        with self._full_state(runner):
            super()._save_checkpoint_with_step(runner, step, meta)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        with self._full_state(runner):
            super()._save_best_checkpoint(runner, metrics)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep this rank's rows of the sharded weights and optimiser state."""
        self._show_shards()
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        state = checkpoint.get('state_dict', checkpoint)
        for name, param in model.named_parameters():
            if not hasattr(param, SHARD_ATTR):
                continue
            start, total = getattr(param, SHARD_ATTR)
            for key in (name, f'module.{name}'):
                value = state.get(key)
                if value is not None and value.dim() > 0 and value.shape[0] == total:
                    state[key] = value[start : start + param.shape[0]]
        optim = runner.optim_wrapper
        if 'optimizer' in checkpoint and isinstance(optim, OptimWrapper):
            shard_optimizer_state(checkpoint['optimizer'], model, optim.optimizer)
