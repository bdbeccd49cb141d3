"""tools/analysis/benchmark_inference.py in a fresh process, on the tiny config."""

import re

import pytest
from test_train_test_tools import run, write_config

pytest.importorskip('nncf', reason='int8 quantisation needs nncf (requirements/optional.txt)')
pytest.importorskip('openvino', reason='the benchmark runs OpenVINO IR')
pytest.importorskip('onnxruntime', reason='the benchmark runs onnxruntime')


def test_benchmark_inference_times_every_backend(
    lfw_like, identity_folder, tmp_path, make_tiny_config
):
    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'work')
    path = write_config(cfg, tmp_path / 'tiny.py')
    code, out = run(
        ['tools/analysis/benchmark_inference.py', str(path), '--rounds', '1', '--seconds']
        + ['0.02', '--batch-sizes', '1', '4', '--calibration', '8']
    )
    assert code == 0, out
    labels = [
        'eager PyTorch fp32',
        'OpenVINO fp32 (f32)',
        'OpenVINO fp32 (default precision)',
        'OpenVINO int8 (our PTQ)',
        'onnxruntime fp32',
    ]
    for batch in (1, 4):
        for label in labels:
            line = re.search(
                rf'batch +{batch} +{re.escape(label)} +([\d.]+) images/s +'
                r'lowest cosine to eager ([-\d.]+)',
                out,
            )
            assert line and float(line.group(1)) > 0, out
            if label in ('eager PyTorch fp32', 'OpenVINO fp32 (f32)', 'onnxruntime fp32'):
                # fp32 backends compute what eager PyTorch does.
                assert float(line.group(2)) > 0.9999, line.group(0)
        ratio = re.search(
            rf'batch {batch}: OpenVINO int8 \(our PTQ\) / eager PyTorch fp32: '
            r'([\d.]+)x',
            out,
        )
        assert ratio and float(ratio.group(1)) > 0, out
    rows = [r for r in out.splitlines() if re.match(r'\| (1|4) \|', r)]
    assert len(rows) == 2 and all(r.count('img/s') == len(labels) for r in rows), out
