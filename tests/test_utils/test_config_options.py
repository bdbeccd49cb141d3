import argparse

import pytest

from facerec.utils import add_config_args, load_config
from facerec.utils.config_options import check_cfg_options

CFG = dict(
    model=dict(type='FaceRecognizer', backbone=dict(type='MobileFaceNet', widen_factor=1.0)),
    optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
    param_scheduler=[dict(type='LinearLR', end=100), dict(type='MultiStepLR', end=20)],
    train_cfg=dict(max_epochs=20, val_interval=1),
    custom_hooks=[dict(type='NumClassesCheckHook')],
    load_from=None,
)


@pytest.mark.parametrize(
    'key',
    [
        'model.backbone.widen_factor',
        'model.backbone.type',
        'param_scheduler.1.end',
        'custom_hooks.0.type',
        'load_from',
        'train_cfg.max_epochs',
    ],
)
def test_existing_keys_pass(key):
    check_cfg_options(CFG, [key])


@pytest.mark.parametrize(
    'key, message',
    [
        (
            'foo.bar',
            r"no key 'foo' at the top level \(none similar; keys there: custom_hooks, "
            r'load_from, model, optim_wrapper, param_scheduler, train_cfg\)',
        ),
        (
            'optim_wrapper.optimizer.lrr',
            r"no key 'lrr' under optim_wrapper\.optimizer \(closest existing keys: "
            r'optim_wrapper\.optimizer\.lr\)',
        ),
        ('load_form', r"no key 'load_form' at the top level \(closest existing keys: load_from\)"),
        ('model.backbone.new_kwarg', r"no key 'new_kwarg' under model\.backbone"),
        ('param_scheduler.2.end', r"param_scheduler is a list of 2 items; '2' is not an index"),
        ('custom_hooks.0.x', r"no key 'x' under custom_hooks\.0"),
        ('load_from.x', r'load_from is None \(NoneType\), not a dict'),
    ],
)
def test_unknown_keys_are_refused(key, message):
    with pytest.raises(KeyError, match=message) as info:
        check_cfg_options(CFG, [key])
    assert f'--cfg-options {key}:' in str(info.value)


def test_load_config_refuses_new_keys_unless_allowed(tmp_path):
    path = tmp_path / 'c.py'
    path.write_text('train_cfg = dict(max_epochs=2)\nload_from = None\n')
    with pytest.raises(KeyError, match=r'load_form.*closest existing keys: load_from'):
        load_config(str(path), {'load_form': 'x.pth'})
    cfg = load_config(str(path), {'train_cfg.val_begin': 3}, allow_new_keys=True)
    assert cfg.train_cfg.val_begin == 3 and cfg.train_cfg.max_epochs == 2


def test_cfg_options_parsing(capsys):
    parser = add_config_args(argparse.ArgumentParser(prog='train.py'))
    args = parser.parse_args(['--cfg-options', 'a.b=1', 'c=[1,2]', '--cfg-new-keys'])
    assert args.cfg_options == {'a.b': 1, 'c': [1, 2]} and args.cfg_new_keys
    with pytest.raises(SystemExit):
        parser.parse_args(['--cfg-options', 'a.b=1', 'train_cfg.max_epochs'])
    err = capsys.readouterr().err
    assert "--cfg-options 'train_cfg.max_epochs': expected key=value" in err
