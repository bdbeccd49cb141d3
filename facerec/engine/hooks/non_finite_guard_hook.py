"""Stops training at the first NaN or inf, before a broken checkpoint can be written."""

import math
import os.path as osp
from typing import List, Optional

import torch
from mmengine.dist import all_reduce
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.runner import EpochBasedTrainLoop

from facerec.registry import HOOKS


def _is_finite(value) -> bool:
    if isinstance(value, torch.Tensor):
        return not value.is_floating_point() or bool(torch.isfinite(value.detach()).all())
    if isinstance(value, float):
        return math.isfinite(value)
    return True


def non_finite_tensors(named_tensors) -> List[str]:
    """The names of the floating-point tensors that hold NaN or inf."""
    named = [
        (n, t.detach())
        for n, t in named_tensors
        if isinstance(t, torch.Tensor) and t.is_floating_point()
    ]
    if not named:
        return []
    # One reduction per tensor and one sync: a NaN or inf makes the sum non-finite.
    sums = torch.stack([t.sum(dtype=torch.float32) for _, t in named])
    suspects = (~torch.isfinite(sums)).nonzero().flatten().tolist()
    return [named[i][0] for i in suspects if not bool(torch.isfinite(named[i][1]).all())]


def _names(names: List[str], n: int = 3) -> str:
    more = f' and {len(names) - n} more' if len(names) > n else ''
    return ', '.join(names[:n]) + more


@HOOKS.register_module()
class NonFiniteGuardHook(Hook):
    """Stop training when the loss, a loss term, the gradient norm or a weight is not finite.

    After every training iteration (before the logger, EMA and checkpoint hooks), the loss
    terms the model returns, the gradient norm (logged as ``train/grad_norm`` when the optim
    wrapper clips gradients; not with ``AmpOptimWrapper``, whose loss scaler skips steps with
    inf gradients on purpose) and the model's weights are checked. The first non-finite value
    stops the run with a ``FloatingPointError`` naming the iteration, the values and the last
    checkpoint written (all finite). A checkpoint whose weights are not finite is never saved.
    In distributed training all processes stop together.
    """

    priority = 'ABOVE_NORMAL'

    @staticmethod
    def _model(runner) -> torch.nn.Module:
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    @staticmethod
    def _last_checkpoint(runner) -> str:
        record = osp.join(runner.work_dir, 'last_checkpoint')
        if osp.isfile(record):
            with open(record, encoding='utf-8') as f:
                name = f.read().strip()
            if name:
                return f'The last checkpoint, {name}, is finite.'
        return f'No checkpoint has been written to {runner.work_dir}.'

    def _grad_norm(self, runner) -> Optional[float]:
        wrapper = runner.optim_wrapper
        if not isinstance(wrapper, OptimWrapper) or isinstance(wrapper, AmpOptimWrapper):
            return None
        if getattr(wrapper, 'grad_name', None) != 'grad_norm':
            return None
        buffer = runner.message_hub.log_scalars.get('train/grad_norm')
        return None if buffer is None else float(buffer.current())

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        problems = []
        if isinstance(outputs, dict):
            bad = [
                f'{k}={float(v.detach().float().mean()) if isinstance(v, torch.Tensor) else v}'
                for k, v in outputs.items()
                if not _is_finite(v)
            ]
            if bad:
                problems.append(f'loss terms {", ".join(bad)}')
        grad_norm = self._grad_norm(runner)
        if grad_norm is not None and not math.isfinite(grad_norm):
            problems.append(f'gradient norm {grad_norm}')
        weights = non_finite_tensors(self._model(runner).named_parameters())
        if weights:
            problems.append(f'{len(weights)} weights ({_names(weights)})')
        flag = torch.tensor([float(bool(problems))])
        all_reduce(flag)
        if flag.item() > 0:
            what = '; '.join(problems) or 'a value in another process'
            where = f'iteration {runner.iter + 1}'
            if isinstance(runner.train_loop, EpochBasedTrainLoop):
                where += f' (epoch {runner.epoch + 1}, batch {batch_idx + 1})'
            raise FloatingPointError(
                f'Training stopped at {where}, not finite: {what}. {self._last_checkpoint(runner)}'
            )

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        weights = non_finite_tensors(checkpoint.get('state_dict', {}).items())
        if weights:
            raise FloatingPointError(
                f'Refusing to save a checkpoint after iteration {runner.iter}: {len(weights)} '
                f'weights are not finite ({_names(weights)}). {self._last_checkpoint(runner)}'
            )
