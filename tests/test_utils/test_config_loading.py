import pytest
import yaml
from mmengine.config import Config

from facerec.utils import load_config


def test_yaml_with_a_python_tag_is_refused(tmp_path):
    marker = tmp_path / 'MARKER'
    path = tmp_path / 'evil.yml'
    path.write_text(
        'model:\n'
        '  type: FaceRecognizer\n'
        f'  init_cfg: !!python/object/apply:os.system ["touch {marker}"]\n'
    )
    with pytest.raises(ValueError, match=r'evil\.yml, line 3: .*python/object/apply:os\.system'):
        load_config(str(path))
    assert not marker.exists()


def test_python_tag_in_a_yaml_base_is_refused(tmp_path):
    marker = tmp_path / 'MARKER'
    (tmp_path / 'base.yaml').write_text(f'a: !!python/object/apply:os.system ["touch {marker}"]\n')
    (tmp_path / 'leaf.yml').write_text('_base_: base.yaml\nb: 1\n')
    (tmp_path / 'leaf.py').write_text("_base_ = ['base.yaml']\nb = 1\n")
    for leaf in ('leaf.yml', 'leaf.py'):
        with pytest.raises(ValueError, match=r'base\.yaml, line 1'):
            load_config(str(tmp_path / leaf))
    assert not marker.exists()


def test_yaml_configs_load_as_meant(tmp_path):
    plain = dict(
        model=dict(type='FaceRecognizer', head=dict(m=0.35, s=30.0)),
        data_preprocessor=dict(mean=[127.5, 127.5, 127.5]),
        milestones=[8, 14],
        work_dir=None,
    )
    with open(tmp_path / 'plain.yml', 'w') as f:
        yaml.safe_dump(plain, f)
    assert load_config(str(tmp_path / 'plain.yml')).to_dict() == dict(
        plain, launcher='none', work_dir='./work_dirs/plain'
    )

    (tmp_path / 'base.py').write_text("model = dict(type='FaceRecognizer', head=dict(m=0.35))\n")
    (tmp_path / 'runtime.yaml').write_text('log_level: INFO\nscale: !!python/tuple [1, 2]\n')
    (tmp_path / 'leaf.yml').write_text(
        '_base_: [base.py, runtime.yaml]\n'
        'model:\n'
        '  head: {m: 0.1}\n'
        'log_level: DEBUG\n'
        'name: "{{ fileBasenameNoExtension }}"\n'
    )
    cfg = load_config(str(tmp_path / 'leaf.yml'), work_dir='w')
    assert cfg.to_dict() == dict(
        model=dict(type='FaceRecognizer', head=dict(m=0.1)),
        log_level='DEBUG',
        scale=(1, 2),
        name='leaf',
        launcher='none',
        work_dir='w',
    )
    assert cfg.filename.endswith('leaf.yml')


def test_config_dumped_to_yaml_loads_again(tmp_path):
    cfg = Config(dict(model=dict(type='X', size=(112, 96)), load_from=None))
    cfg.dump(str(tmp_path / 'dumped.yml'))
    assert load_config(str(tmp_path / 'dumped.yml')).model.size == (112, 96)


def test_python_syntax_error_names_the_file(tmp_path):
    (tmp_path / 'bad.py').write_text('a = 1\nmodel = dict(\n')
    (tmp_path / 'leaf.py').write_text("_base_ = ['bad.py']\nb = 1\n")
    for leaf in ('bad.py', 'leaf.py'):
        with pytest.raises(SyntaxError, match=r'Config file .*bad\.py, line 2: .*never closed'):
            load_config(str(tmp_path / leaf))
