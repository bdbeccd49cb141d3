"""NonFiniteGuardHook in real runs: a NaN or inf stops training before a checkpoint has it."""

import copy
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook

from facerec.engine.runners import FaceRunner, load_local_checkpoint

NAN = float('nan')


class Poison(Hook):
    """Breaks the model at one iteration (0-based ``runner.iter``): ``'output'`` makes the
    backbone output NaN, ``'weights'`` sets a weight to inf after the step, ``'grad'`` makes the
    head's gradient NaN."""

    priority = 'VERY_HIGH'

    def __init__(self, at: int, what: str):
        self.at, self.what, self.handle = at, what, None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter != self.at:
            return
        if self.what == 'output':
            self.handle = runner.model.backbone.register_forward_hook(lambda m, i, o: o * NAN)
        elif self.what == 'grad':
            self.handle = runner.model.head.weight.register_hook(lambda g: g * NAN)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter == self.at and self.what == 'weights':
            with torch.no_grad():
                runner.model.backbone.stem[0][0].weight[0].fill_(float('inf'))


def make_runner(cfg: dict, *hooks: Hook) -> FaceRunner:
    runner = FaceRunner.from_cfg(Config(copy.deepcopy(cfg)))
    for hook in hooks:
        runner.register_hook(hook)
    return runner


@pytest.fixture
def guarded_config(lfw_like, identity_folder, tmp_path, make_tiny_config):
    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'work', max_epochs=2)
    cfg['custom_hooks'].append(dict(type='NonFiniteGuardHook'))
    return cfg


def assert_finite(path):
    state = load_local_checkpoint(str(path))['state_dict']
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())


def test_nan_loss_stops_after_the_last_finite_checkpoint(guarded_config, tmp_path):
    work = tmp_path / 'work'
    runner = make_runner(guarded_config, Poison(at=5, what='output'))
    names = [type(h).__name__ for h in runner.hooks]
    assert names.index('NonFiniteGuardHook') < names.index('LoggerHook')
    assert names.index('NonFiniteGuardHook') < names.index('CheckpointHook')
    first = work / 'epoch_1.pth'
    expected = (
        r'Training stopped at iteration 6 \(epoch 2, batch 2\), not finite: loss terms '
        rf'loss=nan.*\. The last checkpoint, {re.escape(str(first))}, is finite\.'
    )
    with pytest.raises(FloatingPointError, match=expected):
        runner.train()
    assert sorted(p.name for p in work.glob('*.pth')) == ['epoch_1.pth']
    assert (work / 'last_checkpoint').read_text() == str(first)
    assert_finite(first)


def test_inf_weights_stop_before_the_epoch_checkpoint(guarded_config, tmp_path):
    work = tmp_path / 'work'
    runner = make_runner(guarded_config, Poison(at=3, what='weights'))
    expected = (
        r'iteration 4 \(epoch 1, batch 4\), not finite: 1 weights '
        r'\(backbone\.stem\.0\.0\.weight\)\. No checkpoint has been written'
    )
    with pytest.raises(FloatingPointError, match=expected):
        runner.train()
    assert not list(work.glob('*.pth')) and not (work / 'last_checkpoint').exists()


def test_nan_gradient_norm_stops_when_clipping(guarded_config):
    guarded_config['optim_wrapper']['clip_grad'] = dict(max_norm=10.0)
    runner = make_runner(guarded_config, Poison(at=2, what='grad'))
    with pytest.raises(FloatingPointError, match=r'iteration 3 .*gradient norm nan'):
        runner.train()


def test_checkpoint_with_non_finite_weights_is_not_saved(guarded_config, tmp_path):
    guarded_config['train_cfg']['max_epochs'] = 1
    runner = make_runner(guarded_config)
    runner.train()
    runner.save_checkpoint(str(tmp_path), 'finite.pth')
    assert_finite(tmp_path / 'finite.pth')
    with torch.no_grad():
        runner.model.head.weight[0, 0] = NAN
    with pytest.raises(FloatingPointError, match=r'Refusing to save .* \(head\.weight\)'):
        runner.save_checkpoint(str(tmp_path), 'broken.pth')
    assert not (tmp_path / 'broken.pth').exists()


def test_default_runtime_enables_the_guard():
    from facerec.utils import register_all_modules

    register_all_modules()
    cfg = Config.fromfile('configs/_base_/default_runtime.py')
    assert dict(type='NonFiniteGuardHook') in cfg.custom_hooks
