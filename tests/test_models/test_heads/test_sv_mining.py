import math

import pytest
import torch
import torch.nn.functional as F

import facerec.models  # noqa: F401
from facerec.registry import MODELS


def unit(angle: float):
    return [math.cos(angle), math.sin(angle)]


def build(head_type: str, **kwargs):
    head = MODELS.build(dict(type=head_type, num_classes=3, in_channels=2, **kwargs))
    # Class 0 at angle 0, class 1 at 0.5, class 2 at 2.0.
    head.weight.data = torch.tensor([unit(0.0), unit(0.5), unit(2.0)], dtype=torch.float64)
    return head.double()


@pytest.mark.parametrize(
    'head_type, target_logit',
    [
        ('AMSoftmaxHead', lambda theta, m: math.cos(theta) - m),
        ('ArcFaceHead', lambda theta, m: math.cos(theta + m)),
    ],
)
def test_sv_changes_only_hard_negatives(head_type, target_logit):
    s, m, t = 10.0, 0.35, 1.2
    plain = build(head_type, s=s, m=m)
    mined = build(head_type, s=s, m=m, mining_type='sv', t=t)
    mined.weight.data = plain.weight.data.clone()
    # The target class 0 is 0.4 away: class 1 (0.1 away) beats the margin target, class 2 not.
    feats = torch.tensor([unit(0.4)], dtype=torch.float64)
    labels = torch.tensor([0])
    base, out = plain(feats, labels), mined(feats, labels)
    hard_cos = math.cos(0.1)
    assert hard_cos > target_logit(0.4, m) > math.cos(1.6)
    assert out[0, 0].item() == pytest.approx(base[0, 0].item())
    assert out[0, 0].item() == pytest.approx(s * target_logit(0.4, m))
    assert out[0, 1].item() == pytest.approx(s * (t * hard_cos + t - 1))
    assert out[0, 1].item() > base[0, 1].item()
    assert out[0, 2].item() == base[0, 2].item()
    loss = mined.loss(feats, labels)['loss_cls']
    assert torch.allclose(loss, F.cross_entropy(out, labels))


def test_sv_with_no_hard_negative_is_unchanged():
    plain = build('AMSoftmaxHead', s=30.0, m=0.1)
    mined = build('AMSoftmaxHead', s=30.0, m=0.1, mining_type='sv')
    mined.weight.data = plain.weight.data.clone()
    feats = torch.tensor([unit(0.0), unit(2.1)], dtype=torch.float64)
    labels = torch.tensor([0, 2])
    assert torch.equal(mined(feats, labels), plain(feats, labels))


@pytest.mark.parametrize('head_type', ['AMSoftmaxHead', 'ArcFaceHead'])
def test_no_mining_is_the_plain_margin(head_type):
    torch.manual_seed(0)
    head = MODELS.build(dict(type=head_type, num_classes=5, in_channels=8))
    assert head.mining_type is None
    feats, labels = torch.randn(6, 8), torch.tensor([0, 1, 2, 3, 4, 0])
    expected = head.s * head.apply_margin(head.cosine(feats), labels)
    assert torch.equal(head(feats, labels), expected)
    assert torch.equal(head.loss(feats, labels)['loss_cls'], F.cross_entropy(expected, labels))


@pytest.mark.parametrize('head_type', ['AMSoftmaxHead', 'ArcFaceHead'])
def test_sv_loss_and_grad(head_type):
    torch.manual_seed(0)
    head = MODELS.build(
        dict(type=head_type, num_classes=7, in_channels=16, mining_type='sv', t=1.1)
    )
    feats = torch.randn(5, 16, requires_grad=True)
    out = head.loss(feats, torch.tensor([0, 1, 2, 3, 6]))
    out['loss_cls'].backward()
    assert torch.isfinite(out['loss_cls']) and torch.isfinite(feats.grad).all()


@pytest.mark.parametrize(
    'kwargs, name', [(dict(mining_type='ohem'), 'mining_type'), (dict(t=0.9), 't')]
)
def test_bad_mining_args(kwargs, name):
    with pytest.raises(ValueError, match=f'^{name} '):
        MODELS.build(dict(type='AMSoftmaxHead', num_classes=3, in_channels=4, **kwargs))
