"""Images per second of a test or validation run."""

import time
from typing import Optional

from mmengine.hooks import Hook

from facerec.registry import HOOKS


def batch_size_of(data_batch) -> int:
    """The number of samples in a batch as the DataLoader yields it (0 if unknown)."""
    if isinstance(data_batch, dict):
        for key in ('data_samples', 'inputs'):
            if key in data_batch:
                return batch_size_of(data_batch[key])
        return 0
    if hasattr(data_batch, 'shape'):
        return int(data_batch.shape[0]) if len(data_batch.shape) else 0
    return len(data_batch) if isinstance(data_batch, (list, tuple)) else 0


@HOOKS.register_module()
class ThroughputHook(Hook):
    """Log how many images a test (and validation) run embedded and how fast.

    The time runs from the start of the epoch to the end of its last batch:
    DataLoader start-up, image loading and alignment, the model (both passes
    of a flip test) and the metric's per-batch processing, but not the metric's
    final computation. ``tools/test.py`` adds this hook.

    Args:
        val: Report validation runs too.
    """

    priority = 'VERY_LOW'

    def __init__(self, val: bool = False):
        self.val = val
        self.images = 0
        self.seconds: Optional[float] = None
        self._start = 0.0

    @property
    def images_per_s(self) -> float:
        """Images per second of the last run (0 before any)."""
        return self.images / self.seconds if self.seconds else 0.0

    def _begin(self) -> None:
        self.images, self.seconds = 0, None
        self._start = time.perf_counter()

    def _count(self, data_batch) -> None:
        self.images += batch_size_of(data_batch)
        self.seconds = time.perf_counter() - self._start

    def _report(self, runner, mode: str) -> None:
        if self.seconds:
            runner.logger.info(
                f'{mode}: {self.images} images in {self.seconds:.1f} s, '
                f'{self.images_per_s:.1f} images/s (data loading and model)'
            )

    def before_test_epoch(self, runner) -> None:
        self._begin()

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._count(data_batch)

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._report(runner, 'Test')

    def before_val_epoch(self, runner) -> None:
        if self.val:
            self._begin()

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self.val:
            self._count(data_batch)

    def after_val_epoch(self, runner, metrics=None) -> None:
        if self.val:
            self._report(runner, 'Val')
