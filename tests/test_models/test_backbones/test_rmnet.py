import pytest
import torch
import torch.nn as nn

import facerec.models  # noqa: F401
from facerec.models.backbones import RMNet
from facerec.models.backbones.rmnet import RMBlock
from facerec.registry import MODELS


def build(**kwargs) -> RMNet:
    return MODELS.build(dict(type='RMNet', **kwargs))


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    'kwargs, size',
    [
        (dict(), 112),
        (dict(input_size=128, pooling='max', embedding_size=128), 128),
        (dict(dropout=0.1, input_size=(32, 16)), (32, 16)),
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


def test_structure():
    model = build()
    blocks = [m for m in model.modules() if isinstance(m, RMBlock)]
    assert len(blocks) == 4 + 9 + 11 + 12
    assert [len(s) for s in model.stages] == [4, 9, 11, 12]
    assert not any(isinstance(m, (nn.ReLU, nn.PReLU)) for m in model.modules())
    assert any(isinstance(m, nn.ELU) for m in model.modules())
    down = model.stages[1][0]
    assert isinstance(down.shortcut[0], nn.AvgPool2d)
    assert down.branch[2][0].stride == (2, 2) and down.branch[2][0].groups == 16
    assert model.head.gdc[0].kernel_size == (7, 7)
    assert build(input_size=128).head.gdc[0].kernel_size == (8, 8)
    small = build(blocks_per_stage=(1, 1, 1, 1), channels=(16, 32, 64, 128), input_size=16)
    assert small.out_channels == 128 and len(small.stages[3]) == 2


def test_identity_block_with_zero_branch():
    block = RMBlock(16, 4, 16, stride=1, dropout=0.0)
    nn.init.zeros_(block.branch[4][1].weight)
    block.eval()
    x = torch.randn(2, 16, 4, 4)
    assert torch.allclose(block(x), nn.functional.elu(x))


def test_param_count():
    count = num_params(build())
    print(f'RMNet, 256-d: {count} parameters')
    assert 0.6e6 < count < 0.7e6


def test_trains_with_dropout():
    model = build(dropout=0.1, input_size=32)
    model.init_weights()
    model.train()
    out = model(torch.randn(2, 3, 32, 32))
    out.pow(2).mean().backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize(
    'kwargs, name',
    [
        (dict(embedding_size=0), 'embedding_size'),
        (dict(bottleneck_ratio=0), 'bottleneck_ratio'),
        (dict(dropout=1.0), 'dropout'),
        (dict(pooling='avg'), 'pooling'),
        (dict(blocks_per_stage=(4, 8, 10)), 'blocks_per_stage'),
        (dict(blocks_per_stage=(4, -1, 10, 11)), 'blocks_per_stage'),
        (dict(channels=(32, 64, 0, 256)), 'channels'),
        (dict(channels=(2, 64, 128, 256)), 'channels'),
        (dict(input_size=120), 'input_size'),
    ],
)
def test_bad_args(kwargs, name):
    with pytest.raises(ValueError, match=name):
        RMNet(**kwargs)


def test_wrong_input_size():
    with pytest.raises(ValueError, match='112'):
        build()(torch.randn(1, 3, 128, 128))


def test_pretrained_survives_init_weights(tmp_path):
    source = build()
    source.init_weights()
    with torch.no_grad():
        for p in source.parameters():
            p.add_(0.5)
    checkpoint = tmp_path / 'rmnet.pth'
    torch.save(source.state_dict(), checkpoint)
    model = build(init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint)))
    model.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
