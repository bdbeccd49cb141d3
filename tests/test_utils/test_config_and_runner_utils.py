import pytest
from mmengine.config import Config

from facerec.utils import load_config, set_test_metric


def test_load_config_applies_overrides(tmp_path):
    path = tmp_path / 'c.py'
    path.write_text("model = dict(type='FaceRecognizer', head=dict(m=0.35))\n")
    cfg = load_config(str(path), {'model.head.m': 0.2}, None, 'pytorch')
    assert cfg.model.head.m == 0.2 and cfg.launcher == 'pytorch'
    assert cfg.work_dir.endswith('work_dirs/c')
    assert load_config(str(path), work_dir='/x').work_dir == '/x'
    yml = tmp_path / 'c.yml'
    yml.write_text('_base_: c.py\nmodel:\n  head:\n    m: 0.1\n')
    assert load_config(str(yml)).model.head.m == 0.1  # yaml inheriting a python config
    with pytest.raises(FileNotFoundError, match='nope.py'):
        load_config(str(tmp_path / 'nope.py'))


def test_set_test_metric():
    cfg = Config(dict(test_evaluator=dict(type='SomethingElse')))
    set_test_metric(cfg, 'lfw', 'out.csv')
    assert cfg.test_evaluator == dict(type='LFWMetric', out_file='out.csv')
    cfg = Config(dict(test_evaluator=[dict(type='LFWMetric')]))
    set_test_metric(cfg, None, 's.csv')
    assert cfg.test_evaluator[0]['out_file'] == 's.csv'
    set_test_metric(cfg, 'LFWMetric')
    assert cfg.test_evaluator == dict(type='LFWMetric')
    with pytest.raises(KeyError, match="Unknown metric 'rmse2'"):
        set_test_metric(cfg, 'rmse2')
