"""tools/test.py --backend openvino|onnxruntime: the same metrics as the PyTorch model."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from facerec.deployment import export_from_config, use_exported_model
from facerec.registry import MODELS
from facerec.utils import build_runner, register_all_modules, set_test_metric

REPO = Path(__file__).resolve().parents[2]


def run_test(cfg_file: Path, work_dir: Path, checkpoint: str, backend: str, metric: str, out=None):
    """What tools/test.py does, in this process; returns the metrics."""
    register_all_modules()
    cfg = Config.fromfile(str(cfg_file))
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'{backend}_{work_dir.name}'
    if backend == 'pytorch':
        cfg.load_from = checkpoint
    else:
        use_exported_model(cfg, checkpoint, backend)
    set_test_metric(cfg, metric, str(out) if out else None)
    return build_runner(cfg).test()


def read_scores(path: Path) -> np.ndarray:
    with open(path) as f:
        return np.array([float(row['score']) for row in csv.DictReader(f)])


def test_lfw_metrics_of_exported_models_match_pytorch(tiny_recognition_setup, tmp_path):
    cfg, cfg_file, ckpt, _ = tiny_recognition_setup
    onnx_path, xml_path = tmp_path / 'onnx' / 'rec.onnx', tmp_path / 'ov' / 'rec.xml'
    for fmt, path in (('onnx', onnx_path), ('openvino', xml_path)):
        export_from_config(cfg, str(ckpt), str(path), fmt=fmt, log=lambda _: None)

    results = {}
    for backend, path in (
        ('pytorch', str(ckpt)),
        ('onnxruntime', str(onnx_path)),
        ('openvino', str(xml_path)),
    ):
        out = tmp_path / f'{backend}.csv'
        metrics = run_test(cfg_file, tmp_path / backend, path, backend, 'lfw', out)
        results[backend] = (metrics, read_scores(out))
    ref_metrics, ref_scores = results['pytorch']
    assert len(ref_scores) == 40 and np.ptp(ref_scores) > 0.01
    for backend in ('onnxruntime', 'openvino'):
        metrics, scores = results[backend]
        np.testing.assert_allclose(scores, ref_scores, atol=1e-5)  # same flip-summed embeddings
        assert metrics.keys() == ref_metrics.keys() and 'lfw/auc' in metrics
        for key, value in ref_metrics.items():
            assert metrics[key] == pytest.approx(value, abs=1e-6), (backend, key)


def test_landmark_metrics_of_exported_model_match_pytorch(tiny_landmark_setup, tmp_path):
    cfg, cfg_file, ckpt, _ = tiny_landmark_setup
    xml_path = tmp_path / 'lm.xml'
    export_from_config(cfg, str(ckpt), str(xml_path), fmt='openvino', log=lambda _: None)
    ref = run_test(cfg_file, tmp_path / 'pt', str(ckpt), 'pytorch', 'rmse')
    got = run_test(cfg_file, tmp_path / 'ov', str(xml_path), 'openvino', 'rmse')
    assert ref.keys() == got.keys() and any('mean_error' in k for k in ref)
    for key, value in ref.items():
        assert got[key] == pytest.approx(value, abs=1e-5), key


def test_cli_backend(tiny_recognition_setup, tmp_path):
    cfg, cfg_file, ckpt, _ = tiny_recognition_setup
    onnx_path = tmp_path / 'rec.onnx'
    export_from_config(cfg, str(ckpt), str(onnx_path), fmt='onnx', log=lambda _: None)
    args = [str(onnx_path), '--backend', 'onnxruntime', '--metric', 'lfw']
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', str(cfg_file), *args, '--work-dir', str(tmp_path / 'w')],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1'),
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert 'Accuracy/Val_accuracy mean:' in out and 'AUC:' in out


def test_backend_errors(tiny_recognition_setup, tiny_landmark_setup, tmp_path):
    cfg, cfg_file, ckpt, _ = tiny_recognition_setup
    lm_cfg, _, lm_ckpt, _ = tiny_landmark_setup
    onnx_path = tmp_path / 'rec.onnx'
    export_from_config(cfg, str(ckpt), str(onnx_path), fmt='onnx', log=lambda _: None)
    lm_path = tmp_path / 'lm' / 'lm.onnx'
    export_from_config(lm_cfg, str(lm_ckpt), str(lm_path), fmt='onnx', log=lambda _: None)
    register_all_modules()

    def build(path, backend):
        test_cfg = Config.fromfile(str(cfg_file))
        use_exported_model(test_cfg, str(path), backend)
        return MODELS.build(test_cfg.model)

    assert build(onnx_path, 'onnxruntime').flip_test  # the config's test_cfg.flip
    with pytest.raises(ValueError, match='The openvino backend runs .xml files'):
        build(onnx_path, 'openvino')
    with pytest.raises(
        ValueError, match='lm.onnx is a landmarks model but the config tests a recog'
    ):
        build(lm_path, 'onnxruntime')
    with pytest.raises(FileNotFoundError, match='Exported model not found'):
        build(tmp_path / 'none.onnx', 'onnxruntime')
    with pytest.raises(ValueError, match='backend must be one of'):
        MODELS.build(dict(type='BackendModel', model_path=str(onnx_path), backend='trt'))


def test_input_size_mismatch_is_reported(tiny_recognition_setup, tmp_path):
    cfg, cfg_file, ckpt, _ = tiny_recognition_setup
    onnx_path = tmp_path / 'rec.onnx'
    export_from_config(cfg, str(ckpt), str(onnx_path), fmt='onnx', log=lambda _: None)

    # The config's model takes 48x48 images: caught before any data is read.
    bigger = Config.fromfile(str(cfg_file))
    bigger.model.backbone.input_size = 48
    with pytest.raises(ValueError, match="takes 32x32 images but the config's model takes 48x48"):
        register_all_modules()
        use_exported_model(bigger, str(onnx_path), 'onnxruntime')
        build_runner(bigger)

    # The test pipeline gives 48x48 crops: caught on the first batch.
    crops = Config.fromfile(str(cfg_file))
    crops.test_dataloader.dataset.pipeline[1].output_size = 48
    crops_file = tmp_path / 'crops.py'
    crops.dump(str(crops_file))
    with pytest.raises(ValueError, match=r'takes \(N, 3, 32, 32\) images but the test dataloader'):
        run_test(crops_file, tmp_path / 'w', str(onnx_path), 'onnxruntime', 'lfw')


def test_ir_without_sidecar_is_described_by_the_config(tiny_recognition_setup, tmp_path):
    """A model exported elsewhere (no .json beside it) tests from the config alone, with the
    same numbers; a config that does not tell the input size is refused."""
    cfg, cfg_file, ckpt, _ = tiny_recognition_setup
    xml_path = tmp_path / 'ov' / 'rec.xml'
    export_from_config(cfg, str(ckpt), str(xml_path), fmt='openvino', log=lambda _: None)
    with_sidecar = run_test(cfg_file, tmp_path / 'a', str(xml_path), 'openvino', 'lfw')
    xml_path.with_suffix('.json').unlink()
    without = run_test(cfg_file, tmp_path / 'b', str(xml_path), 'openvino', 'lfw')
    assert with_sidecar.keys() == without.keys()
    for key, value in with_sidecar.items():
        assert without[key] == pytest.approx(value, abs=1e-6), key

    vague = Config.fromfile(str(cfg_file))
    del vague.model.backbone['input_size']
    with pytest.raises(ValueError, match=r"rec.json; to run it, the config's model must name"):
        use_exported_model(vague, str(xml_path), 'openvino')
