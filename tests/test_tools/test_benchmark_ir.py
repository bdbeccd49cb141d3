"""tools/analysis/benchmark_ir.py in a fresh process, on tiny random models."""

import copy
import re

import pytest
from test_train_test_tools import run, write_config

pytest.importorskip('nncf', reason='the int8 model needs nncf (requirements/optional.txt)')
pytest.importorskip('openvino', reason='the benchmark runs OpenVINO IR')


def test_benchmark_prints_eager_fp32_and_int8_timings(
    lfw_like, identity_folder, tmp_path, make_tiny_config
):
    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'work')
    fp32 = write_config(cfg, tmp_path / 'fp32.py')
    int8_cfg = copy.deepcopy(cfg)
    int8_cfg['model'] = dict(type='QuantizationAwareTraining', architecture=cfg['model'])
    int8 = write_config(int8_cfg, tmp_path / 'int8.py')
    code, out = run(
        ['tools/analysis/benchmark_ir.py', str(fp32), str(int8), '--random', '--rounds', '1']
        + ['--seconds', '0.02', '--batch-sizes', '1', '4']
    )
    assert code == 0, out
    # OpenVINO in f32 computes what eager PyTorch does; bf16 and int8 only approximately.
    for batch in (1, 4):
        line = re.search(rf'batch +{batch} +fp32 \(f32\) .* cosine to eager ([\d.]+)', out)
        assert line and float(line.group(1)) > 0.9999, out
    assert re.search(r'int8 IR: [1-9]\d* FakeQuantize ops', out), out
    rows = [r for r in out.splitlines() if re.match(r'\| (1|4) \|', r)]
    assert len(rows) == 2, out
    for row in rows:
        cells = [c.strip() for c in row.strip('|').split('|')]
        assert len(cells) == 8, row
        assert all(re.fullmatch(r'[\d.]+ (ms|img/s)', c) for c in cells[1:5]), row
        assert all(float(c.rstrip('x')) > 0 for c in cells[5:]), row
