import math

import pytest
import torch
import torch.nn.functional as F

import facerec.models  # noqa: F401
from facerec.registry import MODELS


def sample(n: int = 6, c: int = 5):
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(n, c, generator=gen) * 3
    labels = torch.randint(0, c, (n,), generator=gen)
    return logits, labels


@pytest.mark.parametrize('label_smoothing', [0.0, 0.1])
def test_cross_entropy_matches_torch(label_smoothing):
    logits, labels = sample()
    loss = MODELS.build(dict(type='CrossEntropyLoss', label_smoothing=label_smoothing))
    expected = F.cross_entropy(logits, labels, label_smoothing=label_smoothing)
    out = loss(logits, labels)
    assert out.dim() == 0
    assert torch.allclose(out, expected)


def test_focal_gamma_zero_is_cross_entropy():
    logits, labels = sample()
    focal = MODELS.build(dict(type='FocalLoss', gamma=0.0))
    assert torch.equal(focal(logits, labels), F.cross_entropy(logits, labels))


def test_focal_by_hand():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    labels = torch.tensor([0, 0])
    gamma = 2.0
    p0 = math.exp(2.0) / (math.exp(2.0) + 1.0)
    p1 = 1.0 / (1.0 + math.exp(1.0))
    expected = ((1 - p0) ** gamma * -math.log(p0) + (1 - p1) ** gamma * -math.log(p1)) / 2
    out = MODELS.build(dict(type='FocalLoss', gamma=gamma))(logits, labels)
    assert out.item() == pytest.approx(expected, rel=1e-12)


def test_focal_is_smaller_than_cross_entropy_and_has_finite_grad():
    logits, labels = sample()
    logits[0, labels[0]] = 100.0
    logits.requires_grad_(True)
    out = MODELS.build(dict(type='FocalLoss', gamma=0.5))(logits, labels)
    out.backward()
    assert out < F.cross_entropy(logits, labels)
    assert torch.isfinite(logits.grad).all()


@pytest.mark.parametrize('loss_type', ['CrossEntropyLoss', 'FocalLoss'])
def test_loss_weight_scales(loss_type):
    logits, labels = sample()
    base = MODELS.build(dict(type=loss_type))(logits, labels)
    scaled = MODELS.build(dict(type=loss_type, loss_weight=2.5))(logits, labels)
    assert torch.allclose(scaled, 2.5 * base)


def test_bad_args():
    with pytest.raises(ValueError, match='gamma'):
        MODELS.build(dict(type='FocalLoss', gamma=-1.0))
    with pytest.raises(ValueError, match='label_smoothing'):
        MODELS.build(dict(type='CrossEntropyLoss', label_smoothing=1.5))
