"""Every leaf config resolves to the model, data and schedule recorded in ``tests/data``.

Refactoring ``configs/_base_`` must not change what a leaf means. When a change to a config is
intended, regenerate the record and review its diff::

    FACEREC_UPDATE_RESOLVED_CONFIGS=1 python -m pytest tests/test_configs_resolved.py
"""

import json
import os
from pathlib import Path
from unittest import mock

import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO / 'configs'
RECORD = Path(__file__).resolve().parent / 'data' / 'resolved_configs.json'
LEAF_CONFIGS = sorted(p for p in CONFIG_DIR.rglob('*.py') if '_base_' not in p.parts)


def resolve(path: Path) -> dict:
    """The config at ``path`` after ``_base_`` inheritance, as plain JSON data (with the
    data root of an environment that does not set ``$FACEREC_DATA``)."""
    with mock.patch.dict(os.environ):
        os.environ.pop('FACEREC_DATA', None)
        cfg = Config.fromfile(str(path)).to_dict()
    return json.loads(json.dumps(cfg, sort_keys=True, default=repr))


def relative(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def test_record_covers_every_leaf():
    if os.environ.get('FACEREC_UPDATE_RESOLVED_CONFIGS'):
        record = {relative(p): resolve(p) for p in LEAF_CONFIGS}
        RECORD.write_text(json.dumps(record, sort_keys=True, indent=1) + '\n')
    record = json.loads(RECORD.read_text())
    assert sorted(record) == [relative(p) for p in LEAF_CONFIGS], (
        f'configs were added or removed: update {RECORD.name} (see this module docstring)'
    )


@pytest.mark.parametrize('path', LEAF_CONFIGS, ids=lambda p: relative(p))
def test_leaf_resolves_as_recorded(path):
    record = json.loads(RECORD.read_text())
    key = relative(path)
    if key not in record:
        pytest.fail(f'{key} is not in {RECORD.name}: update it (see this module docstring)')
    resolved = resolve(path)
    for field in sorted(set(record[key]) | set(resolved)):
        assert resolved.get(field) == record[key].get(field), f'{key}: `{field}` changed'
