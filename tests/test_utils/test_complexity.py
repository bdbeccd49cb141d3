"""Parameter and MAC counting, and tools/analysis/get_flops.py."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from facerec.utils.complexity import (
    count_flops,
    count_macs,
    count_params,
    format_count,
    get_model_complexity,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    'conv, size',
    [
        (nn.Conv2d(3, 8, 3, padding=1), (10, 10)),
        (nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), (9, 7)),
        (nn.Conv2d(12, 12, (7, 5), groups=12, bias=False), (7, 5)),
        (nn.Conv2d(12, 6, 1, groups=3), (4, 4)),
    ],
)
def test_conv_macs_match_formula(conv, size):
    x = torch.randn(2, conv.in_channels, *size)
    out_h, out_w = conv(x).shape[-2:]
    k_h, k_w = conv.kernel_size
    per_output = (conv.in_channels // conv.groups) * k_h * k_w
    expected = x.shape[0] * conv.out_channels * out_h * out_w * per_output
    assert count_macs(conv, x) == expected
    assert count_flops(conv, x) == 2 * expected


def test_linear_macs_match_formula():
    fc = nn.Linear(10, 5)
    assert count_macs(fc, torch.randn(3, 10)) == 3 * 10 * 5
    assert count_macs(nn.Linear(25088, 512, bias=False), torch.randn(1, 25088)) == 25088 * 512


def test_only_convolutions_and_matrix_products_count():
    model = nn.Sequential(
        nn.Conv2d(3, 4, 1, bias=False),
        nn.BatchNorm2d(4),
        nn.PReLU(4),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, 2),
    )
    model.eval()
    assert count_macs(model, torch.randn(1, 3, 5, 5)) == 3 * 4 * 25 + 4 * 2


def test_count_params():
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    assert count_params(model) == 4 * 3 + 3 + 3 + 3
    model[1].weight.requires_grad_(False)
    assert count_params(model, trainable_only=True) == 4 * 3 + 3 + 3


def test_get_model_complexity_restores_mode():
    model = nn.Sequential(nn.Conv2d(3, 2, 3, padding=1, bias=False), nn.BatchNorm2d(2))
    model.train()
    result = get_model_complexity(model, (3, 4, 6))
    assert model.training
    assert result == dict(params=3 * 2 * 9 + 4, flops=2 * 54 * 24, macs=54 * 24)


def test_format_count():
    assert format_count(4_094_000_000) == '4.09G'
    assert format_count(644_208) == '644.21K'
    assert format_count(1_574_114, 'B') == '1.57MB'
    assert format_count(12) == '12'


def test_get_flops_script():
    from facerec.models.backbones import RMNet

    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [
            sys.executable,
            'tools/analysis/get_flops.py',
            'configs/rmnet_am-softmax_vgg2.py',
            '--shape',
            '128',
            '128',
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert 'Backbone: RMNet' in out and 'Input shape: (1, 3, 128, 128)' in out
    expected = get_model_complexity(RMNet(input_size=128), (3, 128, 128))
    params = int(re.search(r'Params: \S+ \((\d+)\)', out).group(1))
    flops = int(re.search(r'FLOPs: \S+ \((\d+)\)', out).group(1))
    macs = int(re.search(r'MACs: \S+ \((\d+)\)', out).group(1))
    assert (params, flops, macs) == (expected['params'], expected['flops'], expected['macs'])
    assert 2 * macs == flops
