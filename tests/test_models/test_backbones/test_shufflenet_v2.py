import pytest
import torch
import torch.nn as nn

import facerec.models  # noqa: F401
from facerec.models.backbones import ShuffleNetV2
from facerec.models.backbones.shufflenet_v2 import ShuffleUnit, channel_shuffle
from facerec.registry import MODELS


def build(**kwargs) -> ShuffleNetV2:
    return MODELS.build(dict(type='ShuffleNetV2', **kwargs))


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_output_shape_at_112():
    model = build()
    model.init_weights()
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 112, 112))
    assert out.shape == (1, 256) and torch.isfinite(out).all()
    assert model.head.gdc[0].kernel_size == (7, 7)
    assert model.head.gdc[0].groups == model.last_channels == 1024


@pytest.mark.parametrize(
    'kwargs',
    [
        dict(widen_factor=0.5, embedding_size=64),
        dict(widen_factor=1.5, act='ReLU'),
        dict(widen_factor=2.0, input_size=(32, 16)),
    ],
)
def test_output_shape_small_input(kwargs):
    kwargs = dict(dict(input_size=32), **kwargs)
    model = build(**kwargs)
    model.init_weights()
    model.train()
    size = kwargs['input_size']
    h, w = (size, size) if isinstance(size, int) else size
    out = model(torch.randn(2, 3, h, w))
    assert out.shape == (2, kwargs.get('embedding_size', 256))
    assert model.embedding_size == kwargs.get('embedding_size', 256)


def test_structure():
    model = build(input_size=128)
    units = [m for m in model.modules() if isinstance(m, ShuffleUnit)]
    assert [len(s) for s in model.stages] == [4, 8, 4] and len(units) == 16
    assert sum(u.stride == 2 for u in units) == 3
    assert [s[-1].branch2[-1][0].out_channels * 2 for s in model.stages] == [116, 232, 464]
    assert model.head.gdc[0].kernel_size == (8, 8)
    assert not any(isinstance(m, nn.MaxPool2d) for m in model.modules())
    assert any(isinstance(m, nn.PReLU) for m in model.modules())
    assert build(widen_factor=2.0, input_size=16).last_channels == 2048


def test_channel_shuffle():
    x = torch.arange(6.0).view(1, 6, 1, 1)
    assert channel_shuffle(x, 2).flatten().tolist() == [0, 3, 1, 4, 2, 5]


def test_stride1_unit_keeps_half_of_the_input():
    unit = ShuffleUnit(8, 8, stride=1, act='ReLU')
    unit.eval()
    x = torch.randn(2, 8, 4, 4)
    out = unit(x)
    # After the shuffle the untouched half sits on the even channels.
    assert torch.equal(out[:, 0::2], x[:, :4])
    down = ShuffleUnit(8, 16, stride=2, act='ReLU')
    assert down(x).shape == (2, 16, 2, 2)


def test_param_count():
    count = num_params(build(input_size=16))
    # 1,574,114 parameters at 112x112 with a 256-d embedding; the GDC kernel
    # is 1x1 at 16x16, 48 x 1024 weights fewer.
    print(f'ShuffleNetV2 1x, 256-d: {count + 48 * 1024} parameters at 112x112')
    assert 1.5e6 < count + 48 * 1024 < 1.65e6


@pytest.mark.parametrize(
    'kwargs, name',
    [
        (dict(widen_factor=0.75), 'widen_factor'),
        (dict(widen_factor=True), 'widen_factor'),
        (dict(embedding_size=0), 'embedding_size'),
        (dict(act='GELU'), 'act'),
        (dict(input_size=100), 'input_size'),
    ],
)
def test_bad_args(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ShuffleNetV2(**kwargs)


def test_wrong_input_size():
    with pytest.raises(ValueError, match='32'):
        build(input_size=32)(torch.randn(1, 3, 16, 16))


def test_pretrained_survives_init_weights(tmp_path):
    source = build(input_size=32)
    source.init_weights()
    with torch.no_grad():
        for p in source.parameters():
            p.add_(0.5)
    checkpoint = tmp_path / 'shufflenet_v2.pth'
    torch.save(source.state_dict(), checkpoint)
    model = build(input_size=32, init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint)))
    model.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
