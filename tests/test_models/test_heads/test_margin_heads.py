import math

import pytest
import torch

import facerec.models  # noqa: F401
from facerec.models.heads import AMSoftmaxHead, ArcFaceHead, MarginHead
from facerec.registry import MODELS


def unit(angle: float):
    return [math.cos(angle), math.sin(angle)]


def two_class_head(head_type: str, **kwargs):
    head = MODELS.build(dict(type=head_type, num_classes=2, in_channels=2, **kwargs))
    head.weight.data = torch.tensor([[1.0, 0.0], [0.0, 3.0]], dtype=torch.float64)
    return head.double()


def test_am_softmax_logits_by_hand():
    head = two_class_head('AMSoftmaxHead', s=30.0, m=0.35)
    feats = torch.tensor([[2.0, 2.0], [0.0, -1.0]], dtype=torch.float64)
    labels = torch.tensor([0, 1])
    c = math.sqrt(0.5)
    cos = torch.tensor([[c, c], [0.0, -1.0]], dtype=torch.float64)
    assert torch.allclose(head.cosine(feats), cos)
    expected = 30.0 * torch.tensor([[c - 0.35, c], [0.0, -1.0 - 0.35]], dtype=torch.float64)
    assert torch.allclose(head(feats, labels), expected)
    assert torch.allclose(head(feats), 30.0 * cos)


def test_arcface_normal_range():
    s, m = 64.0, 0.5
    head = two_class_head('ArcFaceHead', s=s, m=m)
    theta = 1.0
    feats = torch.tensor([unit(theta)], dtype=torch.float64)
    logits = head(feats, torch.tensor([0]))
    assert logits[0, 0].item() == pytest.approx(s * math.cos(math.acos(math.cos(theta)) + m))
    assert logits[0, 1].item() == pytest.approx(s * math.sin(theta))


def test_arcface_fallback_branch():
    s, m = 64.0, 0.5
    head = two_class_head('ArcFaceHead', s=s, m=m)
    theta = 3.0  # cos(3.0) < cos(pi - 0.5)
    assert math.cos(theta) < math.cos(math.pi - m)
    feats = torch.tensor([unit(theta)], dtype=torch.float64)
    logits = head(feats, torch.tensor([0]))
    expected = s * (math.cos(theta) - math.sin(math.pi - m) * m)
    assert logits[0, 0].item() == pytest.approx(expected)
    assert logits[0, 1].item() == pytest.approx(s * math.sin(theta))


def test_arcface_easy_margin():
    s, m = 10.0, 0.3
    head = two_class_head('ArcFaceHead', s=s, m=m, easy_margin=True)
    feats = torch.tensor([unit(0.7), unit(2.0)], dtype=torch.float64)
    logits = head(feats, torch.tensor([0, 0]))
    assert logits[0, 0].item() == pytest.approx(s * math.cos(0.7 + m))
    # cos(2.0) < 0: no margin.
    assert logits[1, 0].item() == pytest.approx(s * math.cos(2.0))


def test_arcface_exact_match_is_finite():
    head = ArcFaceHead(num_classes=3, in_channels=4)
    feats = head.weight.detach().clone().requires_grad_(True)
    out = head.loss(feats, torch.arange(3))
    out['loss_cls'].backward()
    assert torch.isfinite(feats.grad).all()
    assert torch.isfinite(head.weight.grad).all()


@pytest.mark.parametrize('head_type', ['AMSoftmaxHead', 'ArcFaceHead'])
def test_loss_and_grad(head_type):
    torch.manual_seed(0)
    head = MODELS.build(dict(type=head_type, num_classes=7, in_channels=16))
    feats = torch.randn(5, 16, requires_grad=True)
    labels = torch.tensor([0, 1, 2, 3, 6])
    out = head.loss(feats, labels)
    assert set(out) == {'loss_cls', 'accuracy'}
    assert out['loss_cls'].dim() == 0
    assert torch.isfinite(out['loss_cls'])
    out['loss_cls'].backward()
    assert feats.grad is not None and feats.grad.abs().sum() > 0
    assert head.weight.grad is not None and head.weight.grad.abs().sum() > 0
    assert not out['accuracy'].requires_grad


def test_loss_matches_logits():
    head = AMSoftmaxHead(num_classes=4, in_channels=8)
    feats, labels = torch.randn(3, 8), torch.tensor([1, 2, 3])
    expected = torch.nn.functional.cross_entropy(head(feats, labels), labels)
    assert torch.allclose(head.loss(feats, labels)['loss_cls'], expected)


def test_accuracy():
    head = AMSoftmaxHead(num_classes=3, in_channels=3, m=0.9)
    head.weight.data = torch.eye(3)
    feats = torch.tensor([[5.0, 1, 0], [0, 2, 1], [0, 3, 1], [1, 0, 0.5]])
    labels = torch.tensor([0, 1, 2, 1])  # predictions: 0, 1, 1, 0
    out = head.loss(feats, labels)
    assert out['accuracy'].dtype == torch.float32
    assert out['accuracy'].item() == pytest.approx(0.5)


def test_focal_loss_as_head_loss():
    head = MODELS.build(
        dict(
            type='ArcFaceHead',
            num_classes=5,
            in_channels=8,
            loss=dict(type='FocalLoss', gamma=2.0),
        )
    )
    assert type(head.loss_module).__name__ == 'FocalLoss'
    feats, labels = torch.randn(4, 8, requires_grad=True), torch.tensor([0, 1, 2, 4])
    loss = head.loss(feats, labels)['loss_cls']
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(feats.grad).all()


def test_base_is_abstract_and_not_registered():
    with pytest.raises(TypeError):
        MarginHead(num_classes=2, in_channels=2)
    assert 'MarginHead' not in MODELS.module_dict


@pytest.mark.parametrize('head_cls', [AMSoftmaxHead, ArcFaceHead])
@pytest.mark.parametrize(
    'kwargs, name',
    [
        (dict(num_classes=0, in_channels=4), 'num_classes'),
        (dict(num_classes=3, in_channels=-1), 'in_channels'),
        (dict(num_classes=3, in_channels=4, s=0.0), 's'),
        (dict(num_classes=3, in_channels=4, m=-0.1), 'm'),
    ],
)
def test_bad_args(head_cls, kwargs, name):
    with pytest.raises(ValueError, match=f'^{name} '):
        head_cls(**kwargs)
