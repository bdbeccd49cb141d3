import math

import pytest
import torch

import facerec.models  # noqa: F401
from facerec.models.heads import SphereFaceHead
from facerec.models.heads.sphereface_head import chebyshev_cos
from facerec.registry import MODELS


def unit(angle: float, norm: float = 1.0):
    return [norm * math.cos(angle), norm * math.sin(angle)]


def two_class_head(**kwargs):
    head = MODELS.build(dict(type='SphereFaceHead', num_classes=2, in_channels=2, **kwargs))
    head.weight.data = torch.tensor([[1.0, 0.0], [0.0, 3.0]], dtype=torch.float64)
    return head.double()


def psi_by_hand(theta: float, m: int) -> float:
    k = min(int(m * theta / math.pi), m - 1)
    return (-1) ** k * math.cos(m * theta) - 2 * k


@pytest.mark.parametrize('m', [1, 2, 3, 4, 5])
def test_chebyshev_is_cos_of_multiple_angle(m):
    theta = torch.linspace(0, math.pi, 50, dtype=torch.float64)
    assert torch.allclose(chebyshev_cos(theta.cos(), m), (m * theta).cos(), atol=1e-12)


def test_psi_values_continuity_and_monotonicity():
    head = SphereFaceHead(num_classes=2, in_channels=2, m=4)
    for theta, expected in ((0.0, 1.0), (math.pi / 4, -1.0), (math.pi / 2, -3.0), (math.pi, -7.0)):
        value = head.psi(torch.tensor([math.cos(theta)], dtype=torch.float64)).item()
        assert value == pytest.approx(expected, abs=1e-6)
    theta = torch.linspace(0, math.pi, 2001, dtype=torch.float64)
    psi = head.psi(theta.cos())
    assert (psi[1:] - psi[:-1] <= 1e-12).all()
    assert (psi[1:] - psi[:-1]).abs().max() < 0.05
    for t in (0.3, 1.0, 2.0, 2.9):
        got = head.psi(torch.tensor([math.cos(t)], dtype=torch.float64)).item()
        assert got == pytest.approx(psi_by_hand(t, 4))


def test_logits_by_hand_feature_norm_scale():
    head = two_class_head(m=4)
    theta, norm = 1.0, 2.0
    feats = torch.tensor([unit(theta, norm)], dtype=torch.float64)
    lam = 1000.0  # base * (1 + gamma * 0) ** -power at iteration 0
    psi = -math.cos(4 * theta) - 2  # k = 1 for theta = 1.0 and m = 4
    target = (lam * math.cos(theta) + psi) / (1 + lam)
    logits = head(feats, torch.tensor([0]))
    assert logits[0, 0].item() == pytest.approx(norm * target)
    assert logits[0, 1].item() == pytest.approx(norm * math.sin(theta))
    assert torch.allclose(head(feats), norm * torch.tensor([unit(theta)], dtype=torch.float64))


def test_lambda_annealing_and_fixed_scale():
    head = two_class_head(m=4, s=10.0, base=100.0, gamma=0.5, power=2.0, lambda_min=3.0)
    assert head.current_lambda == pytest.approx(100.0)
    head.iteration.fill_(2)
    assert head.current_lambda == pytest.approx(100.0 / 4.0)
    head.iteration.fill_(100)
    assert head.current_lambda == pytest.approx(3.0)
    theta = 2.5
    feats = torch.tensor([unit(theta, 7.0)], dtype=torch.float64)
    target = (3.0 * math.cos(theta) + psi_by_hand(theta, 4)) / 4.0
    logits = head(feats, torch.tensor([0]))
    assert logits[0, 0].item() == pytest.approx(10.0 * target)
    assert logits[0, 1].item() == pytest.approx(10.0 * math.sin(theta))


def test_m_one_is_plain_normalised_softmax():
    head = two_class_head(m=1)
    feats = torch.tensor([unit(0.4, 3.0), unit(2.0, 0.5)], dtype=torch.float64)
    labels = torch.tensor([0, 1])
    assert torch.allclose(head(feats, labels), head(feats))


def test_iteration_advances_only_in_training_loss():
    head = SphereFaceHead(num_classes=3, in_channels=4)
    feats, labels = torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1])
    head.train()
    head(feats, labels)
    assert head.iteration.item() == 0
    head.loss(feats, labels)
    head.loss(feats, labels)
    assert head.iteration.item() == 2
    head.eval()
    head.loss(feats, labels)
    assert head.iteration.item() == 2
    assert 'iteration' in head.state_dict()


def test_loss_and_grad_are_finite_at_exact_match():
    head = SphereFaceHead(num_classes=3, in_channels=4)
    feats = head.weight.detach().clone().requires_grad_(True)
    out = head.loss(feats, torch.arange(3))
    assert set(out) == {'loss_cls', 'accuracy'}
    out['loss_cls'].backward()
    assert torch.isfinite(feats.grad).all() and torch.isfinite(head.weight.grad).all()


@pytest.mark.parametrize(
    'kwargs, name',
    [
        (dict(m=0), 'm'),
        (dict(m=2.5), 'm'),
        (dict(s=0.0), 's'),
        (dict(base=-1.0), 'base'),
        (dict(lambda_min=-1.0), 'lambda_min'),
    ],
)
def test_bad_args(kwargs, name):
    with pytest.raises(ValueError, match=f'^{name} '):
        SphereFaceHead(num_classes=3, in_channels=4, **kwargs)
