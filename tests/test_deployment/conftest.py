"""Fixtures of the deployment tests: small models with non-trivial outputs, configs, checkpoints."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

import facerec.models  # noqa: F401
from facerec.registry import MODELS


def randomize_norm_layers(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give the batch norms statistics of real activations and random affine parameters.

    Freshly initialised backbones end in batch norms with unit statistics that squash the
    embeddings to ~1e-6. Here the statistics are measured on a few random batches (so every
    layer passes on a signal of order 1 that depends on the input) and the affine
    parameters are drawn at random, so an export that drops or mangles a layer shows.
    """
    gen = torch.Generator().manual_seed(seed)
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for module in norms:
        n = module.num_features
        if module.affine:
            module.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            module.bias.data.copy_(torch.randn(n, generator=gen) * 0.1)
        module.reset_running_stats()
        module.momentum = None  # cumulative average over the batches below
    size = next((m.input_size for m in model.modules() if hasattr(m, 'input_size')), 112)
    size = (size, size) if isinstance(size, int) else tuple(size)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model.extract_feat(torch.randn(8, 3, *size, generator=gen))
    for module in norms:
        module.momentum = 0.1
    return model.eval()


@pytest.fixture(scope='session')
def randomize():
    return randomize_norm_layers


def tiny_recognizer_cfg(size: int = 32) -> dict:
    return dict(
        type='FaceRecognizer',
        backbone=dict(type='MobileFaceNet', widen_factor=0.25, embedding_size=16, input_size=size),
        head=dict(type='AMSoftmaxHead', num_classes=4, in_channels=16),
        test_cfg=dict(flip=True),
    )


@pytest.fixture(scope='session')
def recognizer_cfg():
    """The tiny recogniser's model config factory (``size`` -> dict)."""
    return tiny_recognizer_cfg


@pytest.fixture
def tiny_recognizer():
    torch.manual_seed(0)
    return randomize_norm_layers(MODELS.build(tiny_recognizer_cfg()))


@pytest.fixture
def tiny_landmarker():
    torch.manual_seed(0)
    model = MODELS.build(dict(type='LandmarkRegressor', backbone=dict(type='LandNet')))
    return randomize_norm_layers(model)


@pytest.fixture
def raw_images():
    """Raw BGR 0..255 float32 image batches ``(N, 3, size, size)``."""

    def make(n: int, size: int, seed: int = 0) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return rng.integers(0, 256, (n, 3, size, size)).astype(np.float32)

    return make


def save_checkpoint(model: nn.Module, path: Path) -> Path:
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, str(path))
    return path


@pytest.fixture
def tiny_recognition_setup(lfw_like, identity_folder, tmp_path, make_tiny_config):
    """A tiny recogniser config (32x32, LFW-like test set, flip test), its file and a
    checkpoint with random weights."""
    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'work', max_epochs=1)
    cfg_file = tmp_path / 'tiny_rec.py'
    Config(cfg).dump(str(cfg_file))
    torch.manual_seed(0)
    model = randomize_norm_layers(MODELS.build(cfg['model']))
    ckpt = save_checkpoint(model, tmp_path / 'tiny_rec.pth')
    return Config.fromfile(str(cfg_file)), cfg_file, ckpt, model


@pytest.fixture
def tiny_landmark_setup(tmp_path):
    """A LandNet config on 12 synthetic 48x48 crops (NDG json), its file and a checkpoint."""
    rng = np.random.default_rng(3)
    root = tmp_path / 'ndg'
    root.mkdir()
    entries = []
    for i in range(12):
        img = rng.integers(0, 256, (48, 48, 3)).astype(np.uint8)
        pts = np.array([[16, 18], [32, 18], [24, 27], [18, 36], [30, 36]], float)
        pts += rng.uniform(-2, 2, pts.shape)
        cv2.imwrite(str(root / f'{i}.png'), img)
        entries.append(dict(path=f'{i}.png', lm=pts.round(2).tolist()))
    (root / 'crops.json').write_text(json.dumps(entries))
    loader = dict(
        batch_size=5,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='NDGLandmarks',
            ann_file=str(root / 'crops.json'),
            pipeline=[dict(type='LoadImageFromFile'), dict(type='PackFaceInputs')],
        ),
    )
    cfg = dict(
        default_scope='facerec',
        work_dir=str(tmp_path / 'work_lm'),
        model=dict(
            type='LandmarkRegressor', backbone=dict(type='LandNet', num_points=5, input_size=48)
        ),
        val_dataloader=loader,
        test_dataloader=loader,
        val_evaluator=dict(type='LandmarksMetric'),
        test_evaluator=dict(type='LandmarksMetric'),
        val_cfg=dict(type='ValLoop'),
        test_cfg=dict(type='TestLoop'),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1)),
        env_cfg=dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo')),
        log_level='WARNING',
    )
    cfg_file = tmp_path / 'tiny_lm.py'
    Config(cfg).dump(str(cfg_file))
    torch.manual_seed(0)
    model = randomize_norm_layers(MODELS.build(cfg['model']))
    ckpt = save_checkpoint(model, tmp_path / 'tiny_lm.pth')
    return Config.fromfile(str(cfg_file)), cfg_file, ckpt, model
