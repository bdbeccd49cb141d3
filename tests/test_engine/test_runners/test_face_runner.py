import copy
import os
import pickle
import re
import tempfile
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook

from facerec.engine.runners import FaceRunner


class Opaque:
    def __init__(self, value):
        self.value = value


def log_text(work_dir: Path) -> str:
    return '\n'.join(p.read_text() for p in sorted(Path(work_dir).glob('*/*.log')))


def make_runner(cfg: dict, name: str) -> FaceRunner:
    cfg = Config(copy.deepcopy(cfg))
    cfg.experiment_name = name
    return FaceRunner.from_cfg(cfg)


def test_train_checkpoint_and_resume_reproduce_uninterrupted_run(
    lfw_like, identity_folder, tmp_path, make_tiny_config
):
    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'a', max_epochs=2)
    runner = make_runner(cfg, 'full')
    runner.train()
    ckpt1, ckpt2 = tmp_path / 'a' / 'epoch_1.pth', tmp_path / 'a' / 'epoch_2.pth'
    assert ckpt1.is_file() and ckpt2.is_file()
    assert (tmp_path / 'a' / 'last_checkpoint').read_text().strip() == str(ckpt2)
    full = torch.load(ckpt2, weights_only=False)
    assert full['meta']['iter'] == 8 and full['meta']['epoch'] == 2

    # A second run resumes from the epoch-1 checkpoint of the first.
    cfg_b = make_tiny_config(lfw_like, identity_folder, tmp_path / 'b', max_epochs=2)
    cfg_b.update(resume=True, load_from=str(ckpt1))
    resumed = make_runner(cfg_b, 'resumed')
    seen = {}

    class Capture(Hook):
        def before_train(self, runner):  # runs after the checkpoint is restored
            seen['iter'], seen['epoch'] = runner.iter, runner.epoch
            seen['optimizer'] = copy.deepcopy(runner.optim_wrapper.optimizer.state_dict())
            seen['scheduler'] = runner.param_schedulers[0].last_step

    resumed.register_hook(Capture())
    resumed.train()
    half = torch.load(ckpt1, weights_only=False)
    assert seen['iter'] == 4 and seen['epoch'] == 1
    for k, v in half['optimizer']['state'].items():
        assert torch.equal(seen['optimizer']['state'][k]['momentum_buffer'], v['momentum_buffer'])
    assert seen['scheduler'] == half['param_schedulers'][0]['last_step'] == 1
    # Same data order, same optimiser and scheduler state: the same final weights.
    final = torch.load(tmp_path / 'b' / 'epoch_2.pth', weights_only=False)
    for k, v in full['state_dict'].items():
        assert torch.allclose(final['state_dict'][k], v, atol=1e-6), k
    assert final['param_schedulers'] == full['param_schedulers']
    assert final['meta']['iter'] == full['meta']['iter'] == 8


def test_load_from_is_weights_only(lfw_like, identity_folder, tmp_path, make_tiny_config):
    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'w', max_epochs=1)
    runner = make_runner(cfg, 'source')
    runner.train()
    ckpt = tmp_path / 'w' / 'epoch_1.pth'

    cfg_t = make_tiny_config(lfw_like, identity_folder, tmp_path / 't')
    cfg_t['load_from'] = str(ckpt)
    tester = make_runner(cfg_t, 'tester')
    metrics = tester.test()
    assert set(metrics) >= {'lfw/accuracy', 'lfw/auc', 'lfw/threshold'}
    saved = torch.load(ckpt, weights_only=False)['state_dict']
    for k, v in tester.model.state_dict().items():
        assert torch.equal(v, saved[k]), k

    # A checkpoint carrying code is refused on the load_from path...
    evil = torch.load(ckpt, weights_only=False)
    evil['meta']['payload'] = Opaque(1)  # stands in for any object that is not weights
    torch.save(evil, tmp_path / 'evil.pth')
    cfg_e = make_tiny_config(lfw_like, identity_folder, tmp_path / 'e')
    cfg_e['load_from'] = str(tmp_path / 'evil.pth')
    with pytest.raises(pickle.UnpicklingError, match=re.escape(str(tmp_path / 'evil.pth'))):
        make_runner(cfg_e, 'evil').test()


def test_num_classes_check(lfw_like, identity_folder, tmp_path, make_tiny_config):
    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'n', max_epochs=1)
    cfg['model']['head']['num_classes'] = 3
    with pytest.raises(ValueError, match=r'num_classes=3 but the training set .* has 4 identities'):
        make_runner(cfg, 'num_classes').train()


def test_checkpoints_that_do_not_fit_are_refused(
    lfw_like, identity_folder, tmp_path, make_tiny_config
):
    from facerec.registry import MODELS

    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'w', max_epochs=1)
    state = MODELS.build(copy.deepcopy(cfg['model'])).state_dict()
    wide_cfg = copy.deepcopy(cfg['model'])
    wide_cfg['backbone']['widen_factor'] = 0.5
    wide_state = MODELS.build(wide_cfg).state_dict()

    def save(name, obj):
        path = tmp_path / f'{name}.pth'
        torch.save(obj, path)
        return str(path)

    def runner_for(name, obj):
        c = copy.deepcopy(cfg)
        c['load_from'] = save(name, obj)
        c['work_dir'] = str(tmp_path / name)
        return make_runner(c, name)

    with pytest.raises(TypeError, match=r'list\.pth holds a list, not a dict of weights'):
        runner_for('list', [1, 2]).test()
    with pytest.raises(ValueError, match=r"empty\.pth holds no weights \(top-level keys: \['meta"):
        runner_for('empty', {'meta': {}}).test()
    with pytest.raises(ValueError, match=r'other\.pth does not fit FaceRecognizer: none of its 1 '):
        runner_for('other', {'state_dict': {'foo': torch.zeros(1)}}).test()
    first = next(k for k in state if k.startswith('backbone.'))
    partial = {k: v for k, v in state.items() if k != first}
    with pytest.raises(ValueError, match=rf'partial\.pth .* lacks 1 weights .*{re.escape(first)}'):
        runner_for('partial', {'state_dict': partial}).test()
    with pytest.raises(ValueError, match=r'(?s)wide\.pth does not fit .*size mismatch'):
        runner_for('wide', {'state_dict': wide_state}).test()

    # Testing needs no training head; the checkpoint's backbone weights are the ones tested.
    backbone_only = {k: v for k, v in state.items() if k.startswith('backbone.')}
    tester = runner_for('backbone_only', {'state_dict': backbone_only})
    assert 'lfw/accuracy' in tester.test()
    for k, v in backbone_only.items():
        assert torch.equal(tester.model.state_dict()[k], v), k

    # Fine-tuning (load_from before training) keeps mmengine's leniency: another head size loads
    # the backbone and leaves the head as initialised.
    head_cfg = copy.deepcopy(cfg['model'])
    head_cfg['head']['num_classes'] = 7
    other_head = MODELS.build(head_cfg).state_dict()
    trainer = runner_for('finetune', {'state_dict': other_head})
    head_before = trainer.model.head.weight.detach().clone()
    trainer.load_checkpoint(str(tmp_path / 'finetune.pth'))
    assert torch.equal(trainer.model.head.weight, head_before)
    first_bb = next(k for k in other_head if k.startswith('backbone.'))
    assert torch.equal(trainer.model.state_dict()[first_bb], other_head[first_bb])


def test_fine_tuning_refuses_a_checkpoint_without_the_backbone(
    lfw_like, identity_folder, tmp_path, make_tiny_config
):
    """load_from for training: the backbone's weights must all be there, in their shapes (a
    LandNet checkpoint, or a wider network, would otherwise leave it partly random)."""
    from facerec.registry import MODELS

    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'w', max_epochs=1)
    state = MODELS.build(copy.deepcopy(cfg['model'])).state_dict()
    landnet = MODELS.build(dict(type='LandmarkRegressor', backbone=dict(type='LandNet')))
    wide_cfg = copy.deepcopy(cfg['model'])
    wide_cfg['backbone']['widen_factor'] = 0.5
    cases = {
        'landnet': (landnet.state_dict(), r'lacks \d+ of its \d+ weights'),
        'wide': (MODELS.build(wide_cfg).state_dict(), r'has \d+ in another shape'),
    }
    for name, (weights, problem) in cases.items():
        path = tmp_path / f'{name}.pth'
        torch.save({'state_dict': weights}, path)
        runner = make_runner(dict(copy.deepcopy(cfg), work_dir=str(tmp_path / name)), name)
        before = copy.deepcopy(runner.model.state_dict())
        with pytest.raises(ValueError, match=rf'{name}\.pth does not fit the backbone .*{problem}'):
            runner.load_checkpoint(str(path))
        for key, value in runner.model.state_dict().items():
            assert torch.equal(value, before[key]), key  # nothing was loaded
    torch.save({'state_dict': state}, tmp_path / 'same.pth')
    make_runner(dict(copy.deepcopy(cfg), work_dir=str(tmp_path / 'same')), 'same').load_checkpoint(
        str(tmp_path / 'same.pth')
    )


class _WritesMarker:
    """An object whose unpickling writes a file (through ``exec``, pure python)."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (exec, (f'open({self.path!r}, "w").close()',))


@pytest.fixture
def trained_once(lfw_like, identity_folder, tmp_path, make_tiny_config):
    """``(config factory, epoch-1 checkpoint)`` of a one-epoch tiny run."""

    def config(name, **updates):
        cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / name, max_epochs=2)
        cfg.update(updates)
        return cfg

    make_runner(
        config('source', train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=1)), 'src'
    ).train()
    return config, tmp_path / 'source' / 'epoch_1.pth'


def test_resume_refuses_a_checkpoint_that_runs_code(trained_once, tmp_path):
    config, ckpt = trained_once
    marker = tmp_path / 'MARKER'
    evil = torch.load(ckpt, weights_only=False)
    evil['meta']['payload'] = _WritesMarker(marker)
    evil_path = tmp_path / 'evil.pth'
    torch.save(evil, evil_path)
    refused = rf'Refusing to load checkpoint {re.escape(str(evil_path))}: it holds exec\b'

    # resume=True with load_from (tools/train.py --resume CKPT)
    with pytest.raises(pickle.UnpicklingError, match=refused):
        make_runner(config('explicit', resume=True, load_from=str(evil_path)), 'e').train()
    # resume=True without load_from: the work dir's last_checkpoint names the file
    (tmp_path / 'auto').mkdir()
    (tmp_path / 'auto' / 'last_checkpoint').write_text(str(evil_path))
    with pytest.raises(pickle.UnpicklingError, match=refused):
        make_runner(config('auto', resume=True), 'a').train()
    assert not marker.exists()
    assert not (tmp_path / 'explicit' / 'epoch_2.pth').exists()

    # The opt-out (tools/train.py --unsafe-resume) trusts the file: its code runs.
    trusting = make_runner(config('trusted', resume=True, load_from=str(evil_path)), 't')
    trusting.unsafe_resume = True
    trusting.train()
    assert marker.exists() and (tmp_path / 'trusted' / 'epoch_2.pth').is_file()


def test_resume_ignores_config_text_in_meta(trained_once, tmp_path):
    config, ckpt = trained_once
    marker = tmp_path / 'MARKER'
    crafted = torch.load(ckpt, weights_only=False)
    crafted['meta']['config'] = f'import os\nopen({str(marker)!r}, "w").close()\n'
    torch.save(crafted, tmp_path / 'crafted.pth')
    runner = make_runner(config('r', resume=True, load_from=str(tmp_path / 'crafted.pth')), 'r')
    runner.train()
    assert not marker.exists() and runner.iter == 8
    assert "Ignoring meta['config'] of checkpoint" in log_text(tmp_path / 'r')


def test_resume_refuses_a_foreign_checkpoint_before_touching_the_model(trained_once, tmp_path):
    from facerec.registry import MODELS

    config, _ = trained_once
    weights_only = tmp_path / 'weights.pth'
    landnet = MODELS.build(dict(type='LandmarkRegressor', backbone=dict(type='LandNet')))
    torch.save({'state_dict': landnet.state_dict()}, weights_only)
    runner = make_runner(config('f', resume=True, load_from=str(weights_only)), 'foreign')
    with pytest.raises(
        ValueError, match=r'Cannot resume from .*weights\.pth: it is not a training'
    ):
        runner.train()
    landnet_run = tmp_path / 'landnet_run.pth'
    torch.save({'state_dict': landnet.state_dict(), 'meta': dict(epoch=1, iter=4)}, landnet_run)
    runner = make_runner(config('g', resume=True, load_from=str(landnet_run)), 'landnet')
    with pytest.raises(ValueError, match=r'landnet_run\.pth does not fit the backbone'):
        runner.train()
    assert runner.iter == 0  # stopped before the trainer state was restored


def test_resume_from_work_dir_names_bad_last_checkpoint(trained_once, tmp_path):
    config, ckpt = trained_once
    work = tmp_path / 'w'
    work.mkdir()
    record = work / 'last_checkpoint'
    record.write_text('\n')
    with pytest.raises(ValueError, match=rf'{re.escape(str(record))} is empty'):
        make_runner(config('w', resume=True), 'empty').train()
    record.write_text(str(tmp_path / 'gone.pth'))
    with pytest.raises(FileNotFoundError, match=r'gone\.pth \(named by .*last_checkpoint\)'):
        make_runner(config('w', resume=True), 'gone').train()
    text = tmp_path / 'notes.txt'
    text.write_text('not a checkpoint\n')
    with pytest.raises(RuntimeError, match=rf'Cannot read checkpoint {re.escape(str(text))}'):
        make_runner(config('t', resume=True, load_from=str(text)), 'text').train()
    record.write_text(str(ckpt))  # a genuine checkpoint resumes, weights-only
    runner = make_runner(config('w', resume=True), 'genuine')
    runner.train()
    assert runner.iter == 8 and (work / 'epoch_2.pth').is_file()


def test_train_removes_temp_files_of_killed_saves(
    lfw_like, identity_folder, tmp_path, make_tiny_config
):
    work = tmp_path / 'w'
    work.mkdir()
    fd, stale = tempfile.mkstemp(prefix='.epoch_1.pth.', suffix='.tmp', dir=work)
    os.close(fd)
    (work / '.notes.tmp').write_text('not a checkpoint write')
    make_runner(make_tiny_config(lfw_like, identity_folder, work, max_epochs=1), 'tmp').train()
    assert not os.path.exists(stale)
    assert sorted(p.name for p in work.glob('*.tmp')) == ['.notes.tmp']
    assert f'Removed 1 temporary file(s) of interrupted checkpoint saves: {stale}' in log_text(work)
