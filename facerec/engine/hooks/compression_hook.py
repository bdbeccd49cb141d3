"""Drives a compressed model through training: calibration, sparsity schedule, logging."""

from typing import List, Optional

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from facerec.registry import HOOKS


def _compressed_model(runner):
    """The compressed model of the run: the runner's model or a module inside it (the
    student of a distiller)."""
    from facerec.models.compression import find_compressed_model

    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    found = find_compressed_model(model)
    if found is None:
        raise TypeError(
            'CompressionHook needs a compressed model (type=QuantizationAwareTraining or '
            f'MagnitudeSparsity, or a distiller with such a student), got {type(model).__name__}'
        )
    return found


def collect_batches(model, dataloader, num_batches: int) -> List[torch.Tensor]:
    """The first ``num_batches`` batches of ``dataloader`` after the model's data preprocessor
    (normalised, on the model's device, no augmentation by the preprocessor)."""
    batches = []
    with torch.no_grad():
        for data in dataloader:
            if len(batches) >= num_batches:
                break
            batches.append(model.data_preprocessor(data, False)['inputs'])
    if not batches:
        raise RuntimeError('The calibration dataloader gave no batch')
    return batches


@HOOKS.register_module()
class CompressionHook(Hook):
    """Initialise, schedule and report a compressed model (``QuantizationAwareTraining``,
    ``MagnitudeSparsity``, also as a distiller's student). Calibration starts here only.

    - Before training, unless the model already holds a calibrated state (resumed run), it is
      initialised with ``calibration_batches`` batches of the training set (default: the
      number the model's algorithms ask for): quantizer ranges, initial sparsity masks,
      batch-norm adaptation.
    - With sparsity, the masks follow the model's schedule: recomputed before each epoch
      (``by_epoch=True``) or every ``interval`` iterations, until the target level is reached
      (then the masks stay fixed). The level is logged as ``sparsity``.
    - Before validation and testing, the quantizer count and the sparsity reached (masked
      fraction of the masked weights and of all backbone weights) are logged. A model tested
      without a compressed checkpoint is first calibrated on ``calibration_dataloader`` of the
      config, else its ``train_dataloader`` (post-training compression; a config made for
      that alone names ``calibration_dataloader`` and has nothing to train).

    Args:
        calibration_batches: Overrides the number of calibration batches.
    """

    priority = 'NORMAL'

    def __init__(self, calibration_batches: Optional[int] = None) -> None:
        if calibration_batches is not None and int(calibration_batches) < 1:
            raise ValueError(f'calibration_batches must be >= 1, got {calibration_batches}')
        self.calibration_batches = calibration_batches

    def _initialize(self, runner, model, dataloader) -> None:
        n = self.calibration_batches or model.calibration_batches
        runner.logger.info(f'Compression: calibrating on {n} training batches')
        model.initialize_compression(collect_batches(model, dataloader, n))
        self._log_summary(runner, model, 'initialised')

    def _log_summary(self, runner, model, when: str) -> None:
        s = model.compression_summary()
        text = f'Compression ({when}): {int(s["num_quantizers"])} int8 quantizers'
        if s['num_masks']:
            text += (
                f', sparsity {100 * s["sparsity"]:.2f}% of the {int(s["num_masks"])} masked '
                f'weight tensors ({100 * s["global_sparsity"]:.2f}% of all backbone weights), '
                f'scheduled level {100 * float(model.sparsity_level):.2f}%'
            )
        runner.logger.info(text)

    # ------------------------------------------------------------------ training
    def before_train(self, runner) -> None:
        model = _compressed_model(runner)
        if not model.is_initialized:
            self._initialize(runner, model, runner.train_dataloader)
        else:
            self._log_summary(runner, model, 'resumed')

    def _step_sparsity(self, runner, model, step: int) -> None:
        level = model.sparsity_step.schedule(step)
        if abs(level - float(model.sparsity_level)) > 1e-6:
            model.set_sparsity_level(level)
            if model.sparsity_step.by_epoch or level >= model.sparsity_step.schedule.target:
                self._log_summary(runner, model, f'level {100 * level:.2f}%')

    def before_train_epoch(self, runner) -> None:
        model = _compressed_model(runner)
        if model.sparsity_step is not None and model.sparsity_step.by_epoch:
            self._step_sparsity(runner, model, runner.epoch)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        model = _compressed_model(runner)
        step = model.sparsity_step
        if step is not None and not step.by_epoch and runner.iter % step.interval == 0:
            self._step_sparsity(runner, model, runner.iter)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        model = _compressed_model(runner)
        if model.sparsity_step is not None:
            runner.message_hub.update_scalar('train/sparsity', float(model.sparsity_level))

    # ------------------------------------------------------------------ evaluation
    def before_val(self, runner) -> None:
        self._log_summary(runner, _compressed_model(runner), 'validation')

    def before_test(self, runner) -> None:
        model = _compressed_model(runner)
        if not model.is_initialized:
            cfg = runner.cfg.get('calibration_dataloader') or runner.cfg.get('train_dataloader')
            if not cfg:
                raise RuntimeError(
                    'The compressed model holds no calibrated state and the config has no '
                    'calibration_dataloader or train_dataloader to calibrate it: test a '
                    'compressed checkpoint'
                )
            runner.logger.warning(
                'Testing a compressed config on a checkpoint without compression state: '
                'calibrating on the training data first (no fine-tuning)'
            )
            self._initialize(runner, model, runner.build_dataloader(cfg))
        self._log_summary(runner, model, 'test')
