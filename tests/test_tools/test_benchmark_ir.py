"""tools/analysis/benchmark_ir.py in a fresh process, on tiny random models."""

import copy
import re

import pytest
from test_train_test_tools import run, write_config

from facerec.utils.checks import to_2tuple

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
    # A stand-in for a released IR of the same network: the tiny fp32 model as OpenVINO IR.
    import openvino as ov
    import torch

    from facerec.utils import build_model, load_config

    class Features(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model.extract_feat(x)

    model = build_model(load_config(str(fp32)), None).eval()
    size = model.backbone.input_size
    with torch.no_grad():
        ir = ov.convert_model(Features(model), example_input=torch.randn(1, 3, *to_2tuple(size)))
    ov.save_model(ir, str(tmp_path / 'released.xml'))
    code, out = run(
        ['tools/analysis/benchmark_ir.py', str(fp32), str(int8), '--random', '--rounds', '1']
        + ['--seconds', '0.02', '--batch-sizes', '1', '4']
        + ['--released-int8', str(tmp_path / 'released.xml')]
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
        assert len(cells) == 10, row  # with the released IR's time and ratio
        assert all(re.fullmatch(r'[\d.]+ (ms|img/s)', c) for c in cells[1:6]), row
        assert all(float(c.rstrip('x')) > 0 for c in cells[6:]), row
    assert re.search(r'batch +1 +released int8 IR .* cosine to eager', out), out
