import pytest
import torch
import torch.nn as nn

import facerec.models  # noqa: F401
from facerec.models.backbones import IResNet
from facerec.models.backbones.iresnet import IRBlock
from facerec.models.backbones.mobilefacenet import SELayer
from facerec.registry import MODELS


def build(**kwargs) -> IResNet:
    return MODELS.build(dict(type='IResNet', **kwargs))


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# Parameters with a 512-d embedding at 112x112 (exact counts of this
# implementation: IR-18 24,025,600; IR-34 34,139,328; IR-50 43,590,848;
# IR-100 65,156,160), the same as the ArcFace IResNets.
@pytest.mark.parametrize(
    'depth, low, high',
    [(18, 23.9e6, 24.1e6), (34, 34.0e6, 34.3e6), (50, 43.5e6, 43.7e6), (100, 65.0e6, 65.3e6)],
)
def test_depths_at_112(depth, low, high):
    model = build(depth=depth)
    count = num_params(model)
    print(f'IR-{depth}, 512-d: {count} parameters')
    assert low < count < high
    stages = [len(stage) for stage in model.stages]
    assert (
        stages
        == {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 14, 3], 100: [3, 13, 30, 3]}[depth]
    )
    assert model.output_layer[3].in_features == 512 * 7 * 7
    model.init_weights()
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 112, 112))
    assert out.shape == (1, 512) and torch.isfinite(out).all()


@pytest.mark.parametrize('se', [False, True])
def test_output_shape_small_input(se):
    model = build(depth=18, se=se, embedding_size=64, input_size=32)
    model.init_weights()
    model.train()
    out = model(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 64) and model.embedding_size == 64
    out.pow(2).mean().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_structure():
    model = build(depth=18, input_size=16, embedding_size=8)
    blocks = [m for m in model.modules() if isinstance(m, IRBlock)]
    assert len(blocks) == 8
    assert not any(isinstance(m, SELayer) for m in model.modules())
    assert model.stem[0].stride == (1, 1) and model.stem[0].kernel_size == (3, 3)
    assert isinstance(model.stem[2], nn.PReLU)
    first = model.stages[1][0]
    assert first.conv1.stride == (1, 1) and first.conv2.stride == (2, 2)
    assert isinstance(first.shortcut[0], nn.Conv2d) and first.shortcut[0].stride == (2, 2)
    assert isinstance(model.stages[1][1].shortcut, nn.Identity)
    # Output layer: BN2d, dropout, flatten, linear, BN1d.
    kinds = [type(m) for m in model.output_layer]
    assert kinds == [nn.BatchNorm2d, nn.Dropout, nn.Flatten, nn.Linear, nn.BatchNorm1d]
    assert model.output_layer[3].in_features == 512

    se = build(depth=18, se=True, input_size=16, embedding_size=8)
    assert sum(isinstance(m, SELayer) for m in se.modules()) == 8
    assert build(depth=18, input_size=128, embedding_size=8).output_layer[3].in_features == (
        512 * 8 * 8
    )
    assert build(depth=18, dropout=0.4, input_size=16).output_layer[1].p == 0.4


def test_zero_init_residual_makes_blocks_identity():
    model = build(depth=18, input_size=16, embedding_size=8, zero_init_residual=True)
    model.init_weights()
    model.eval()
    block = model.stages[0][1]
    x = torch.randn(2, 64, 8, 8)
    assert torch.equal(block(x), x)


def test_fp16_on_cpu_returns_float32():
    model = build(depth=18, fp16=True, input_size=16, embedding_size=8)
    model.init_weights()
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 16, 16))
    assert out.dtype == torch.float32 and out.shape == (2, 8) and torch.isfinite(out).all()


@pytest.mark.parametrize(
    'kwargs, name',
    [
        (dict(depth=20), 'depth'),
        (dict(depth=152), 'depth'),
        (dict(embedding_size=0), 'embedding_size'),
        (dict(embedding_size=1.5), 'embedding_size'),
        (dict(dropout=1.0), 'dropout'),
        (dict(dropout=-0.1), 'dropout'),
        (dict(input_size=100), 'input_size'),
        (dict(se_ratio=0), 'se_ratio'),
    ],
)
def test_bad_args(kwargs, name):
    with pytest.raises(ValueError, match=name):
        IResNet(**kwargs)


def test_wrong_input_size():
    model = build(depth=18, input_size=16, embedding_size=8)
    with pytest.raises(ValueError, match='16'):
        model(torch.randn(1, 3, 32, 32))


def test_pretrained_survives_init_weights(tmp_path):
    source = build(depth=18, input_size=16, embedding_size=8)
    source.init_weights()
    with torch.no_grad():
        for p in source.parameters():
            p.add_(0.5)
    checkpoint = tmp_path / 'ir18.pth'
    torch.save(source.state_dict(), checkpoint)

    model = build(
        depth=18,
        input_size=16,
        embedding_size=8,
        init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint)),
    )
    model.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key


def test_default_init():
    model = build(depth=18, input_size=16, embedding_size=8)
    model.init_weights()
    bn = model.output_layer[4]
    assert torch.equal(bn.weight, torch.ones_like(bn.weight))
    assert torch.equal(bn.bias, torch.zeros_like(bn.bias))
