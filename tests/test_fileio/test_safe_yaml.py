import mmengine
import pytest
from mmengine.config import Config

import facerec.fileio  # noqa: F401 (registers the safe yaml handler)
from facerec.fileio import safe_load_yaml


def test_plain_data_and_mmengine_tuples_load():
    text = 'a: [1, 2.5, null, true]\nb: !!python/tuple\n- 1\n- !!python/tuple [2, 3]\nc: {d: x}\n'
    assert safe_load_yaml(text, 'f.yml') == dict(
        a=[1, 2.5, None, True], b=(1, (2, 3)), c=dict(d='x')
    )


@pytest.mark.parametrize(
    'tag',
    [
        '!!python/object/apply:os.system ["touch {marker}"]',
        '!!python/object/new:subprocess.Popen [["touch", "{marker}"]]',
        "!!python/name:os.system ''",
    ],
)
def test_python_tags_are_refused_with_file_and_line(tmp_path, tag):
    marker = tmp_path / 'MARKER'
    path = tmp_path / 'evil.yml'
    path.write_text('a: 1\nb:\n  c: ' + tag.format(marker=marker) + '\n')
    with pytest.raises(ValueError, match=r'Refusing yaml file .*evil\.yml, line 3: .*python/'):
        safe_load_yaml(path.read_text(), str(path))
    with pytest.raises(ValueError, match='python/'):  # every mmengine.load of yaml, too
        mmengine.load(str(path))
    with pytest.raises(ValueError, match='python/'):
        Config.fromfile(str(path))
    assert not marker.exists()


def test_syntax_errors_name_file_and_line():
    with pytest.raises(ValueError, match=r'Cannot parse yaml file c\.yml, line 2'):
        safe_load_yaml('a: [1, 2\nb: 3\n', 'c.yml')


def test_dumped_config_round_trips(tmp_path):
    cfg = Config(dict(a=(1, 2), b=dict(c=[1, (3, 4.5)]), d=None, e='x'))
    cfg.dump(str(tmp_path / 'c.yml'))
    assert '!!python/tuple' in (tmp_path / 'c.yml').read_text()
    assert mmengine.load(str(tmp_path / 'c.yml')) == cfg.to_dict()
