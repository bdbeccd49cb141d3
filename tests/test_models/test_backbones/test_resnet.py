import pytest
import torch
import torch.nn as nn

import facerec.models  # noqa: F401
from facerec.models.backbones import ResNet, SEResNet, SEResNeXt
from facerec.models.backbones.mobilefacenet import SELayer
from facerec.models.backbones.resnet import Bottleneck
from facerec.registry import MODELS


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# Parameters with the defaults (stride-1 3x3 stem, 1x1 reduction to 512
# channels, 25088 x 512 linear, 512-d embedding) at 112x112. Exact counts of
# this implementation: ResNet-50 37,420,800; SE-ResNet-50 39,951,792;
# SE-ResNeXt-50 39,431,216; SE-ResNet-152 78,734,768. The linear layer alone
# has 12,845,568 weights and biases.
@pytest.mark.parametrize(
    'name, depth, low, high',
    [
        ('ResNet', 50, 37.3e6, 37.5e6),
        ('SEResNet', 50, 39.8e6, 40.1e6),
        ('SEResNeXt', 50, 39.3e6, 39.6e6),
        ('SEResNet', 152, 78.6e6, 78.9e6),
    ],
)
def test_depths_at_112(name, depth, low, high):
    model = MODELS.build(dict(type=name, depth=depth))
    count = num_params(model)
    print(f'{name}-{depth}, 512-d: {count} parameters')
    assert low < count < high
    assert model.output_layer[3].in_features == 512 * 7 * 7
    model.init_weights()
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 112, 112))
    assert out.shape == (1, 512) and torch.isfinite(out).all()


@pytest.mark.parametrize(
    'kwargs',
    [
        dict(),
        dict(stem='conv7x7', act='ReLU'),
        dict(reduce_channels=None, embedding_size=128, dropout=0.2),
        dict(input_size=(32, 16)),
    ],
)
def test_output_shape_small_input(kwargs):
    kwargs = dict(dict(input_size=32), **kwargs)
    model = MODELS.build(dict(type='ResNet', **kwargs))
    model.init_weights()
    model.train()
    h, w = (
        (kwargs['input_size'],) * 2
        if isinstance(kwargs['input_size'], int)
        else kwargs['input_size']
    )
    out = model(torch.randn(2, 3, h, w))
    assert out.shape == (2, model.embedding_size)
    assert model.embedding_size == kwargs.get('embedding_size', 512)
    assert model.output_layer[3].in_features == model.out_channels * (h // 16) * (w // 16)


def test_structure():
    model = ResNet(input_size=16)
    assert [len(s) for s in model.stages] == [3, 4, 6, 3]
    assert model.stem[0].kernel_size == (3, 3) and model.stem[0].stride == (1, 1)
    assert [s[0].conv2.stride for s in model.stages] == [(2, 2)] * 4
    assert model.out_channels == 512 and model.reduce[0].in_channels == 2048
    assert not any(isinstance(m, SELayer) for m in model.modules())
    assert any(isinstance(m, nn.PReLU) for m in model.modules())
    kinds = [type(m) for m in model.output_layer]
    assert kinds == [nn.BatchNorm2d, nn.Dropout, nn.Flatten, nn.Linear, nn.BatchNorm1d]

    imagenet_stem = ResNet(stem='conv7x7', act='ReLU', input_size=16)
    assert imagenet_stem.stem[0].kernel_size == (7, 7)
    assert isinstance(imagenet_stem.stem[3], nn.MaxPool2d)
    assert [s[0].conv2.stride for s in imagenet_stem.stages] == [(1, 1), (2, 2), (2, 2), (1, 1)]
    assert not any(isinstance(m, nn.PReLU) for m in imagenet_stem.modules())

    no_reduce = ResNet(reduce_channels=None, input_size=16)
    assert isinstance(no_reduce.reduce, nn.Identity) and no_reduce.out_channels == 2048


def test_se_and_resnext_variants():
    se = SEResNet(input_size=16)
    assert se.se and sum(isinstance(m, SELayer) for m in se.modules()) == 16

    resnext = SEResNeXt(input_size=16)
    block = resnext.stages[0][0]
    assert isinstance(block, Bottleneck)
    assert block.conv2.groups == 32 and block.conv2.in_channels == 128
    assert resnext.stages[3][0].conv2.in_channels == 1024
    assert block.conv3.out_channels == 256
    assert sum(isinstance(m, SELayer) for m in resnext.modules()) == 16

    wide = SEResNeXt(groups=32, width_per_group=8, input_size=16)
    assert wide.stages[0][0].conv2.in_channels == 256
    assert ResNet(depth=101, input_size=16).stages[2].__len__() == 23


def test_block_is_shortcut_with_zero_init_residual():
    model = ResNet(input_size=16, act='ReLU', zero_init_residual=True)
    model.init_weights()
    model.eval()
    block = model.stages[0][1]
    x = torch.rand(2, 256, 4, 4)
    assert torch.equal(block(x), x)


@pytest.mark.parametrize(
    'kwargs, name',
    [
        (dict(depth=34), 'depth'),
        (dict(groups=0), 'groups'),
        (dict(width_per_group=-4), 'width_per_group'),
        (dict(embedding_size=0), 'embedding_size'),
        (dict(dropout=1.0), 'dropout'),
        (dict(stem='conv5x5'), 'stem'),
        (dict(act='GELU'), 'act'),
        (dict(input_size=100), 'input_size'),
        (dict(reduce_channels=0), 'reduce_channels'),
        (dict(se_ratio=0), 'se_ratio'),
    ],
)
def test_bad_args(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ResNet(**kwargs)


def test_variants_fix_se():
    with pytest.raises(ValueError, match='se'):
        SEResNet(se=False)
    with pytest.raises(ValueError, match='se'):
        SEResNeXt(se=False)
    with pytest.raises(ValueError, match='depth'):
        SEResNeXt(depth=18)


def test_wrong_input_size():
    model = ResNet(input_size=16)
    with pytest.raises(ValueError, match='16'):
        model(torch.randn(1, 3, 32, 32))


def test_pretrained_survives_init_weights(tmp_path):
    kwargs = dict(type='SEResNeXt', input_size=16, embedding_size=8, reduce_channels=8)
    source = MODELS.build(kwargs)
    source.init_weights()
    with torch.no_grad():
        for p in source.parameters():
            p.add_(0.5)
    checkpoint = tmp_path / 'se_resnext50.pth'
    torch.save(source.state_dict(), checkpoint)

    model = MODELS.build(dict(kwargs, init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint))))
    model.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
