"""Tiny architectures for the compression tests: fast to trace, calibrate and export."""

import copy

import pytest
import torch

from facerec.registry import MODELS
from facerec.utils import register_all_modules

#: A 3-block MobileFaceNet at 32x32 with SE layers and PReLU: every op type of the real one.
TINY_FACE_ARCH = dict(
    type='FaceRecognizer',
    backbone=dict(
        type='MobileFaceNet',
        widen_factor=0.25,
        embedding_size=16,
        input_size=32,
        arch_setting=[[2, 16, 1, 2], [2, 16, 2, 2], [2, 16, 1, 2]],
        last_channels=32,
    ),
    head=dict(type='AMSoftmaxHead', num_classes=4, in_channels=16),
)
TINY_LANDNET_ARCH = dict(
    type='LandmarkRegressor',
    backbone=dict(type='LandNet', channels=(8, 8, 16, 16), hidden_channels=16),
)


def trained_like(cfg: dict, seed: int = 0, size: int = 32) -> torch.nn.Module:
    """Build ``cfg`` with random weights and realistic batch-norm statistics (a few
    train-mode forwards), so that outputs are far from zero like a trained network's."""
    register_all_modules()
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    model.init_weights()
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative averages: the exact statistics of the batches below
    model.train()
    with torch.no_grad():
        for _ in range(4):
            model.extract_feat(torch.randn(16, 3, size, size))
    for m in norms:
        m.momentum = 0.1
    return model.eval()


def batches(n: int = 3, size: int = 32, batch: int = 8, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, 3, size, size, generator=g) for _ in range(n)]


@pytest.fixture
def make_batches():
    """``make_batches(n=3, size=32, batch=8)``: fixed random normalised input batches."""
    return batches


@pytest.fixture
def face_arch_cfg():
    return copy.deepcopy(TINY_FACE_ARCH)


@pytest.fixture
def landnet_arch_cfg():
    return copy.deepcopy(TINY_LANDNET_ARCH)


@pytest.fixture
def face_fp32():
    return trained_like(TINY_FACE_ARCH)


@pytest.fixture
def landnet_fp32():
    return trained_like(TINY_LANDNET_ARCH, size=48)
