import pytest
import torch

import facerec.models  # noqa: F401
from facerec.models.landmarks import LandNet
from facerec.registry import MODELS


def test_default_shapes_range_and_size():
    torch.manual_seed(0)
    model = MODELS.build(dict(type='LandNet'))
    assert isinstance(model, LandNet)
    model.init_weights()
    num_params = sum(p.numel() for p in model.parameters())
    print(f'LandNet parameters: {num_params}')
    assert 100_000 <= num_params <= 300_000
    model.eval()
    out = model(torch.randn(3, 3, 48, 48) * 3)
    assert out.shape == (3, 5, 2)
    assert torch.all(out >= 0) and torch.all(out <= 1)
    # Small initial weights of the last layer: every point starts near the centre.
    assert torch.allclose(out, torch.full_like(out, 0.5), atol=0.1)


def test_custom_points_and_rectangular_input():
    model = LandNet(num_points=68, input_size=(64, 48), channels=(8, 16, 32, 32))
    model.init_weights()
    out = model(torch.randn(2, 3, 64, 48))
    assert out.shape == (2, 68, 2)
    assert torch.all((out >= 0) & (out <= 1))


def test_backward_is_finite():
    model = LandNet()
    model.init_weights()
    model(torch.randn(2, 3, 48, 48)).sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


@pytest.mark.parametrize('input_size', [50, 0, -48, (48,), (48, 40), 48.0, True, 'x'])
def test_bad_input_size(input_size):
    with pytest.raises(ValueError, match='input_size'):
        LandNet(input_size=input_size)


def test_bad_arguments():
    with pytest.raises(ValueError, match='num_points'):
        LandNet(num_points=0)
    with pytest.raises(ValueError, match='same length'):
        LandNet(channels=(16, 32), num_convs=(1, 1, 1))
    with pytest.raises(ValueError, match='channels'):
        LandNet(channels=())


def test_wrong_input_shape_raises():
    model = LandNet()
    with pytest.raises(ValueError, match=r'\(N, 3, 48, 48\)'):
        model(torch.randn(1, 3, 64, 64))
