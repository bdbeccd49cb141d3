import pytest
import torch
import torch.nn as nn

import facerec.models  # noqa: F401
from facerec.models.backbones import MobileNetV2Face
from facerec.models.backbones.mobilefacenet import SELayer
from facerec.models.backbones.mobilenet_v2 import GDCEmbedding, LinearBottleneck
from facerec.registry import MODELS


def build(**kwargs) -> MobileNetV2Face:
    return MODELS.build(dict(type='MobileNetV2Face', **kwargs))


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    'kwargs, size',
    [
        (dict(), 112),
        (dict(input_size=128, embedding_size=512), 128),
        (dict(widen_factor=0.5, input_size=(32, 16)), (32, 16)),
        (dict(widen_factor=1.4, input_size=32), 32),
    ],
)
def test_output_shape(kwargs, size):
    model = build(**kwargs)
    model.init_weights()
    model.eval()
    h, w = (size, size) if isinstance(size, int) else size
    with torch.no_grad():
        out = model(torch.randn(1, 3, h, w))
    assert out.shape == (1, kwargs.get('embedding_size', 256))
    assert model.embedding_size == kwargs.get('embedding_size', 256)
    assert torch.isfinite(out).all()
    assert model.head.gdc[0].kernel_size == (h // 16, w // 16)


def test_structure():
    model = build()
    blocks = [m for m in model.modules() if isinstance(m, LinearBottleneck)]
    assert len(blocks) == 17
    assert sum(b.use_residual for b in blocks) == 10
    assert not any(isinstance(m, (SELayer, nn.PReLU, nn.ReLU)) for m in model.modules())
    assert any(isinstance(m, nn.ReLU6) for m in model.modules())
    strides = [s[0].conv[-2][0].stride[0] for s in model.stages]
    assert strides == [1, 2, 2, 2, 1, 1, 1]
    assert model.stem[0].stride == (2, 2)
    assert model.last_channels == 1280 and isinstance(model.head, GDCEmbedding)
    assert build(widen_factor=1.4, input_size=16).last_channels == 1792
    assert build(widen_factor=0.5, input_size=16).stem[0].out_channels == 16


def test_param_count():
    count = num_params(build())
    # 2,617,344: 2,223,872 in the body (the ImageNet MobileNetV2 1x without
    # its 1280 x 1000 classifier) and 393,472 in the GDC head.
    print(f'MobileNetV2Face 1x, 256-d: {count} parameters')
    assert 2.5e6 < count < 2.75e6


def test_trains():
    model = build(input_size=32)
    model.init_weights()
    model.train()
    out = model(torch.randn(2, 3, 32, 32))
    out.pow(2).mean().backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize(
    'kwargs, name',
    [
        (dict(widen_factor=0), 'widen_factor'),
        (dict(widen_factor='1'), 'widen_factor'),
        (dict(embedding_size=-1), 'embedding_size'),
        (dict(last_channels=0), 'last_channels'),
        (dict(input_size=(112, 100)), 'input_size'),
    ],
)
def test_bad_args(kwargs, name):
    with pytest.raises(ValueError, match=name):
        MobileNetV2Face(**kwargs)


def test_wrong_input_size():
    with pytest.raises(ValueError, match='112'):
        build()(torch.randn(1, 3, 96, 96))


def test_pretrained_survives_init_weights(tmp_path):
    source = build(input_size=32)
    source.init_weights()
    with torch.no_grad():
        for p in source.parameters():
            p.add_(0.5)
    checkpoint = tmp_path / 'mobilenet_v2.pth'
    torch.save(source.state_dict(), checkpoint)
    model = build(input_size=32, init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint)))
    model.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
