import pytest
import torch
import torch.nn as nn

import facerec.models  # noqa: F401
from facerec.models.backbones import MobileFaceNet
from facerec.models.backbones.mobilefacenet import InvertedResidual, SELayer
from facerec.registry import MODELS


def build(**kwargs) -> MobileFaceNet:
    return MODELS.build(dict(type='MobileFaceNet', **kwargs))


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    'kwargs, size',
    [
        (dict(), 112),
        (dict(input_size=128), 128),
        (dict(widen_factor=2.0, embedding_size=256), 112),
        (dict(embedding_size=512, use_se=False, act='ReLU'), 112),
        (dict(act='ReLU6', input_size=(128, 112)), (128, 112)),
    ],
)
def test_output_shape(kwargs, size):
    model = build(**kwargs)
    model.init_weights()
    model.eval()
    h, w = (size, size) if isinstance(size, int) else size
    with torch.no_grad():
        out = model(torch.randn(1, 3, h, w))
    assert out.shape == (1, model.embedding_size)
    assert model.embedding_size == kwargs.get('embedding_size', 128)
    assert torch.isfinite(out).all()


def test_structure():
    model = build(act='ReLU')
    blocks = [m for m in model.modules() if isinstance(m, InvertedResidual)]
    assert len(blocks) == 5 + 1 + 6 + 1 + 2
    # Stride-1 blocks with equal channels: 4 in stage 1, 6 in stage 3, 2 in stage 5.
    assert sum(b.use_residual for b in blocks) == 12
    assert sum(isinstance(m, SELayer) for m in model.modules()) == 15
    assert not any(isinstance(m, nn.PReLU) for m in model.modules())
    assert model.gdc[0].kernel_size == (7, 7)
    assert model.gdc[0].groups == model.last_channels == 512
    assert build(input_size=128).gdc[0].kernel_size == (8, 8)

    no_se = build(use_se=False)
    assert not any(isinstance(m, SELayer) for m in no_se.modules())
    assert any(isinstance(m, nn.PReLU) for m in no_se.modules())

    wide = build(widen_factor=2.0)
    assert wide.stem[0][0].out_channels == 128
    assert wide.last_channels == 1024


def test_residual_is_added():
    block = InvertedResidual(16, 16, stride=1, expand_ratio=2, act='ReLU', use_se=False, se_ratio=4)
    nn.init.zeros_(block.project[1].weight)
    block.eval()
    x = torch.randn(2, 16, 8, 8)
    assert torch.allclose(block(x), x)


@pytest.mark.parametrize(
    'kwargs, name',
    [
        (dict(widen_factor=0), 'widen_factor'),
        (dict(widen_factor=-1.0), 'widen_factor'),
        (dict(embedding_size=0), 'embedding_size'),
        (dict(embedding_size=-128), 'embedding_size'),
        (dict(act='GELU'), 'act'),
        (dict(input_size=100), 'input_size'),
        (dict(input_size=(112, 100)), 'input_size'),
        (dict(input_size=(112, 112, 3)), 'input_size'),
        (dict(se_ratio=0), 'se_ratio'),
        (dict(arch_setting=[[2, 64, 5]]), 'arch_setting'),
    ],
)
def test_bad_args(kwargs, name):
    with pytest.raises(ValueError, match=name):
        MobileFaceNet(**kwargs)


def test_wrong_input_size():
    model = build(input_size=112, act='ReLU', use_se=False)
    with pytest.raises(ValueError, match='112'):
        model(torch.randn(2, 3, 128, 128))


def test_pretrained_survives_init_weights(tmp_path):
    source = build(use_se=False)
    source.init_weights()
    with torch.no_grad():
        for p in source.parameters():
            p.add_(0.5)
    checkpoint = tmp_path / 'mobilefacenet.pth'
    torch.save(source.state_dict(), checkpoint)

    model = build(use_se=False, init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint)))
    model.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key


def test_default_init():
    model = build()
    model.init_weights()
    bn = model.stem[0][1]
    assert torch.equal(bn.weight, torch.ones_like(bn.weight))
    assert torch.equal(bn.bias, torch.zeros_like(bn.bias))


def test_param_count_close_to_paper():
    count = num_params(build(use_se=False))
    print(f'MobileFaceNet 1x, 128-d, no SE: {count} parameters')
    assert 0.9e6 < count < 1.3e6


def test_stem_options_off_keep_the_state_dict_keys():
    default = build(use_se=False, act='ReLU6')
    explicit = build(use_se=False, act='ReLU6', stem_pointwise=False, stem_act=None)
    assert list(default.state_dict()) == list(explicit.state_dict())
    assert len(default.stem) == 2
    assert {k.split('.')[1] for k in default.state_dict() if k.startswith('stem.')} == {'0', '1'}
    assert isinstance(default.stem[1][2], nn.ReLU6)
    same_act = build(use_se=False, act='ReLU6', stem_act='ReLU6')
    assert list(same_act.state_dict()) == list(default.state_dict())


def test_stem_pointwise_and_stem_act():
    model = build(use_se=False, act='ReLU6', stem_pointwise=True, stem_act='ReLU', input_size=32)
    assert len(model.stem) == 3
    pointwise = model.stem[2][0]
    assert pointwise.kernel_size == (1, 1) and pointwise.groups == 1
    assert pointwise.in_channels == pointwise.out_channels == 64 and pointwise.bias is None
    # The first stem convolution keeps `act`; the depthwise-separable part uses `stem_act`.
    assert isinstance(model.stem[0][2], nn.ReLU6)
    assert type(model.stem[1][2]) is nn.ReLU and type(model.stem[2][2]) is nn.ReLU
    assert type(model.conv_last[2]) is nn.ReLU6
    new_keys = set(model.state_dict()) - set(
        build(use_se=False, act='ReLU6', input_size=32).state_dict()
    )
    assert new_keys == {
        f'stem.2.{k}'
        for k in (
            '0.weight',
            '1.weight',
            '1.bias',
            '1.running_mean',
            '1.running_var',
            '1.num_batches_tracked',
        )
    }
    assert model.gdc[0].kernel_size == (2, 2)
    model.init_weights()
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 128) and torch.isfinite(out).all()

    prelu = build(stem_pointwise=True, stem_act='PReLU', act='ReLU', use_se=False)
    assert isinstance(prelu.stem[2][2], nn.PReLU) and prelu.stem[2][2].num_parameters == 64


def test_bad_stem_act():
    with pytest.raises(ValueError, match='stem_act'):
        MobileFaceNet(stem_act='GELU')
