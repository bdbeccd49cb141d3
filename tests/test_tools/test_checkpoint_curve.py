"""tools/analysis/checkpoint_curve.py: training minutes from checkpoint meta, checkpoints
picked per requested minute, bad checkpoints named."""

from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def curve(load_tool):
    return load_tool('tools/analysis/checkpoint_curve.py')


def _save(path: Path, saved: str, it: int, start: str = '20261202_200900') -> str:
    meta = dict(time=saved, experiment_name=f'my_config_{start}', iter=it, epoch=0)
    torch.save(dict(meta=meta, state_dict={}), path)
    return str(path)


def test_minutes_from_meta(curve, tmp_path):
    # 20:09:00 -> 20:21:30 is 12.5 minutes; 23:59:00 -> 00:09:00 the next day is 10
    row = curve.checkpoint_minutes(_save(tmp_path / 'a.pth', '20261202_202130', 300))
    assert row['iter'] == 300
    assert row['minutes'] == pytest.approx(12.5)
    row = curve.checkpoint_minutes(
        _save(tmp_path / 'b.pth', '20261203_000900', 10, start='20261202_235900')
    )
    assert row['minutes'] == pytest.approx(10.0)


def test_pick_last_checkpoint_before_each_minute(curve):
    ckpts = [
        dict(path=f'iter_{i}.pth', iter=i, minutes=m)
        for i, m in ((100, 3.0), (200, 6.1), (300, 9.2), (400, 12.3), (500, 15.4))
    ]
    picked = curve.pick_checkpoints(ckpts, [60, 10, 2, 12.3])
    # 2 min: nothing yet; 10: iter 300; 12.3: iter 400 (saved exactly then); 60: the last
    assert [(p['requested'], p['iter']) for p in picked] == [(10, 300), (12.3, 400), (60, 500)]
    # two minutes falling on the same checkpoint give one row
    assert [p['iter'] for p in curve.pick_checkpoints(ckpts, [16, 20])] == [500]


def test_format_rows(curve):
    rows = [dict(minutes=9.96, iter=300, metrics={'lfw/accuracy': 0.81234, 'lfw/auc': 0.9})]
    table = curve.format_rows(rows).splitlines()
    assert table[0] == '| minutes | iteration | lfw/accuracy | lfw/auc |'
    assert table[2] == '| 10.0 | 300 | 0.8123 | 0.9000 |'


def test_bad_checkpoints_are_named(curve, tmp_path):
    bare = tmp_path / 'bare.pth'
    torch.save(dict(state_dict={}), bare)
    with pytest.raises(ValueError, match='bare.pth.*meta.time'):
        curve.checkpoint_minutes(str(bare))
    odd = tmp_path / 'odd.pth'
    torch.save(dict(meta=dict(time='20261202_202130', experiment_name='no_stamp')), odd)
    with pytest.raises(ValueError, match='odd.pth.*run start'):
        curve.checkpoint_minutes(str(odd))
    with pytest.raises(FileNotFoundError, match='no checkpoint'):
        curve.main([str(REPO / 'configs/mobilefacenet_celeba_quick.py'), str(tmp_path / 'x')])
