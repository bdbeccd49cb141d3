"""ThroughputHook: images counted per batch, images/s logged at the end of a test run."""

import logging
import time

import torch

from facerec.engine.hooks import ThroughputHook
from facerec.engine.hooks.throughput_hook import batch_size_of
from facerec.registry import HOOKS
from facerec.structures import FaceDataSample


class _Runner:
    def __init__(self):
        self.messages = []
        self.logger = logging.getLogger('throughput-test')
        self.logger.info = self.messages.append


def _batch(n: int) -> dict:
    return dict(
        inputs=[torch.zeros(3, 8, 8, dtype=torch.uint8)] * n,
        data_samples=[FaceDataSample() for _ in range(n)],
    )


def test_batch_size_of():
    assert batch_size_of(_batch(3)) == 3
    assert batch_size_of(dict(inputs=torch.zeros(5, 3, 8, 8))) == 5
    assert batch_size_of([1, 2]) == 2
    assert batch_size_of(None) == 0


def test_counts_images_and_logs_rate():
    hook = HOOKS.build(dict(type='ThroughputHook'))
    runner = _Runner()
    hook.before_test_epoch(runner)
    for i, n in enumerate((4, 4, 3)):
        time.sleep(0.01)
        hook.after_test_iter(runner, i, _batch(n))
    hook.after_test_epoch(runner, {})
    assert hook.images == 11
    assert hook.seconds >= 0.03
    assert abs(hook.images_per_s - 11 / hook.seconds) < 1e-9
    assert len(runner.messages) == 1
    assert runner.messages[0].startswith(f'Test: 11 images in {hook.seconds:.1f} s, ')
    assert f'{11 / hook.seconds:.1f} images/s' in runner.messages[0]


def test_validation_only_when_asked():
    runner = _Runner()
    quiet = ThroughputHook()
    quiet.before_val_epoch(runner)
    quiet.after_val_iter(runner, 0, _batch(2))
    quiet.after_val_epoch(runner, {})
    assert quiet.images == 0 and runner.messages == []
    loud = ThroughputHook(val=True)
    loud.before_val_epoch(runner)
    loud.after_val_iter(runner, 0, _batch(2))
    loud.after_val_epoch(runner, {})
    assert loud.images == 2 and runner.messages[0].startswith('Val: 2 images')
