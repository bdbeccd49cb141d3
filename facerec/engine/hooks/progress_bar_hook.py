"""A progress bar over validation and test batches."""

from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from tqdm import tqdm

from facerec.registry import HOOKS


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """Show a tqdm progress bar while validating and testing (main process only).

    Args:
        val: Show it during validation too.
    """

    priority = 'VERY_LOW'

    def __init__(self, val: bool = True):
        self.val = val
        self._bar: Optional[tqdm] = None

    def _open(self, runner, loader, desc: str) -> None:
        if is_main_process():
            self._bar = tqdm(total=len(loader), desc=desc, unit='batch', dynamic_ncols=True)

    def _step(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def before_test_epoch(self, runner) -> None:
        self._open(runner, runner.test_dataloader, 'test')

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._step()

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._close()

    def before_val_epoch(self, runner) -> None:
        if self.val:
            self._open(runner, runner.val_dataloader, 'val')

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._step()

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._close()
