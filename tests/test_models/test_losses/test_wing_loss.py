import math

import pytest
import torch
import torch.nn.functional as F

import facerec.models  # noqa: F401
from facerec.models.losses import L1Loss, MSELoss, WingLoss
from facerec.registry import MODELS


def test_hand_computation_both_branches():
    # w = 10, epsilon = 2, C = 10 - 10 ln(6) = -7.9175947
    #   |x| = 1  -> 10 ln(1.5) = 4.0546511
    #   |x| = 4  -> 10 ln(3)   = 10.9861229
    #   |x| = 15 -> 15 - C     = 22.9175947
    loss = WingLoss(w=10.0, epsilon=2.0, scale=1.0, reduction='none')
    pred = torch.tensor([1.0, 0.0, 20.0], dtype=torch.float64)
    target = torch.tensor([0.0, 4.0, 5.0], dtype=torch.float64)
    expected = torch.tensor([4.0546511, 10.9861229, 22.9175947], dtype=torch.float64)
    assert torch.allclose(loss(pred, target), expected, atol=1e-6)
    assert math.isclose(loss.C, -7.9175947, abs_tol=1e-6)


def test_scale_turns_normalised_coordinates_into_pixels():
    # 0.25 of a 48 px image is 12 px, beyond w: 12 - C = 19.9175947.
    loss = MODELS.build(dict(type='WingLoss'))
    assert loss.scale == 48.0
    out = loss(torch.tensor([[[0.5, 0.5]]]), torch.tensor([[[0.25, 0.5]]]))
    # The second coordinate has zero error: mean of (19.9175947, 0).
    assert out.dim() == 0
    assert math.isclose(out.item(), 19.9175947 / 2, rel_tol=1e-5)


def test_continuity_at_w():
    loss = WingLoss(w=10.0, epsilon=2.0, scale=1.0, reduction='none')
    zero = torch.zeros(3, dtype=torch.float64)
    x = torch.tensor([10.0 - 1e-9, 10.0, 10.0 + 1e-9], dtype=torch.float64)
    values = loss(x, zero)
    at_w = 10.0 * math.log(1.0 + 10.0 / 2.0)
    assert torch.allclose(values, torch.full_like(values, at_w), atol=1e-6)


def test_reductions_and_weight():
    gen = torch.Generator().manual_seed(0)
    pred, target = torch.rand(4, 5, 2, generator=gen), torch.rand(4, 5, 2, generator=gen)
    elementwise = WingLoss(reduction='none')(pred, target)
    assert elementwise.shape == (4, 5, 2)
    assert torch.allclose(WingLoss()(pred, target), elementwise.mean())
    assert torch.allclose(WingLoss(reduction='sum')(pred, target), elementwise.sum())
    assert torch.allclose(WingLoss(loss_weight=0.5)(pred, target), 0.5 * elementwise.mean())


@pytest.mark.parametrize('reduction', ['mean', 'sum', 'none'])
def test_l1_and_mse_match_torch(reduction):
    gen = torch.Generator().manual_seed(1)
    pred, target = torch.randn(3, 5, 2, generator=gen), torch.randn(3, 5, 2, generator=gen)
    l1 = MODELS.build(dict(type='L1Loss', loss_weight=2.0, reduction=reduction))
    mse = MODELS.build(dict(type='MSELoss', loss_weight=0.5, reduction=reduction))
    assert isinstance(l1, L1Loss) and isinstance(mse, MSELoss)
    assert torch.allclose(l1(pred, target), 2.0 * F.l1_loss(pred, target, reduction=reduction))
    assert torch.allclose(mse(pred, target), 0.5 * F.mse_loss(pred, target, reduction=reduction))


def test_gradients_and_bad_arguments():
    pred = torch.tensor([0.1, 0.9], requires_grad=True)
    WingLoss()(pred, torch.tensor([0.2, 0.1])).backward()
    assert torch.isfinite(pred.grad).all()
    for kwargs in (dict(w=0), dict(epsilon=-1.0), dict(scale=0.0), dict(reduction='max')):
        with pytest.raises(ValueError):
            WingLoss(**kwargs)
    with pytest.raises(ValueError, match='reduction'):
        L1Loss(reduction='avg')
    with pytest.raises(ValueError, match='same shape'):
        MSELoss()(torch.zeros(2, 2), torch.zeros(2, 3))
