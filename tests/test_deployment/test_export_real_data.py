"""Export of the shipped configs, checked on real aligned faces (skipped without the data)."""

import os

import numpy as np
import pytest
import torch
from mmengine.config import Config

from facerec.deployment import (
    ExportWrapper,
    export_from_config,
    load_dataset_images,
    load_exported_model,
)
from facerec.registry import MODELS

pytestmark = pytest.mark.real_data
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def real_config(data_root, monkeypatch):
    monkeypatch.setenv('FACEREC_DATA', str(data_root))

    def load(name: str) -> Config:
        return Config.fromfile(os.path.join(REPO, 'configs', name))

    return load


@pytest.mark.parametrize(
    'config, fmt, task, size',
    [
        ('mobilefacenet_celeba_quick.py', 'openvino', 'recognition', 64),
        ('landnet_lfw_celeba.py', 'onnx', 'landmarks', 48),
    ],
)
def test_shipped_config_export_on_real_images(
    real_config, randomize, tmp_path, config, fmt, task, size
):
    cfg = real_config(config)
    torch.manual_seed(0)
    model = randomize(MODELS.build(cfg.model))
    ckpt = tmp_path / 'model.pth'
    torch.save({'state_dict': model.state_dict()}, str(ckpt))
    out = tmp_path / ('model.xml' if fmt == 'openvino' else 'model.onnx')
    meta = export_from_config(cfg, str(ckpt), str(out), fmt=fmt, verify=16, log=lambda _: None)
    assert meta['task'] == task and meta['input_size'] == [size, size]
    if task == 'recognition':
        assert meta['alignment']['output_size'] == [64, 64] and meta['flip_test'] is True
    else:
        assert meta['alignment'] is None

    stats = meta['parity']['openvino' if fmt == 'openvino' else 'onnxruntime']
    assert stats['num_samples'] == 16
    assert stats['cosine_min'] > 0.99999
    assert stats['max_abs_diff'] < 1e-4 * max(1.0, stats['max_abs_ref'])
    exported = load_exported_model(str(out))
    images = load_dataset_images(cfg, 2, seed=1)
    assert images.shape == (2, 3, size, size) and images.max() > 100  # real pixels, 0..255
    with torch.no_grad():
        ref = ExportWrapper(model)(torch.from_numpy(images)).numpy()
    np.testing.assert_allclose(exported(images), ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())


def test_calibration_and_parity_images_are_reproducible(real_config):
    cfg = real_config('mobilefacenet_celeba_quick.py')
    a = load_dataset_images(cfg, 4, seed=3)
    b = load_dataset_images(cfg, 4, seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, load_dataset_images(cfg, 4, seed=4))
