import math

import pytest
import torch

import facerec.models  # noqa: F401
from facerec.models.heads import ArcFaceHead, CurricularFaceHead
from facerec.registry import MODELS


def unit(angle: float):
    return [math.cos(angle), math.sin(angle)]


def three_class_head(**kwargs):
    head = MODELS.build(dict(type='CurricularFaceHead', num_classes=3, in_channels=2, **kwargs))
    head.weight.data = torch.tensor([unit(0.0), unit(0.7), unit(2.5)], dtype=torch.float64)
    return head.double()


def test_logits_and_t_update_by_hand():
    s, m, momentum = 64.0, 0.5, 0.01
    head = three_class_head(s=s, m=m, momentum=momentum).train()
    assert head.t.item() == 0.0
    # Sample 0: angle 0.5 from class 0 (target), 0.2 from class 1, 2.0 from class 2.
    # Sample 1: angle 0.05 from class 0 (target), 0.65 from class 1, 2.45 from class 2.
    feats = torch.tensor([unit(0.5), unit(0.05)], dtype=torch.float64)
    labels = torch.tensor([0, 0])
    logits = head(feats, labels)
    t = momentum * (math.cos(0.5) + math.cos(0.05)) / 2
    assert head.t.item() == pytest.approx(t)
    # Sample 0: target cos(0.5 + m) = cos(1.0); cos(0.2) > cos(1.0) is a hard negative.
    assert logits[0, 0].item() == pytest.approx(s * math.cos(1.0))
    c = math.cos(0.2)
    assert logits[0, 1].item() == pytest.approx(s * c * (t + c))
    assert logits[0, 2].item() == pytest.approx(s * math.cos(2.0))
    # Sample 1: target cos(0.55); cos(0.65) is below it, nothing is modulated.
    assert logits[1, 0].item() == pytest.approx(s * math.cos(0.55))
    assert logits[1, 1].item() == pytest.approx(s * math.cos(0.65))
    assert logits[1, 2].item() == pytest.approx(s * math.cos(2.45))


def test_t_is_a_moving_average_updated_only_in_training():
    head = three_class_head(momentum=0.1)
    feats, labels = torch.tensor([unit(0.3)], dtype=torch.float64), torch.tensor([0])
    head.train()
    head.loss(feats, labels)
    head.loss(feats, labels)
    c = math.cos(0.3)
    assert head.t.item() == pytest.approx(0.1 * c + 0.9 * 0.1 * c)
    before = head.t.clone()
    head.eval()
    head.loss(feats, labels)
    head(feats, labels)
    assert torch.equal(head.t, before)
    assert 't' in head.state_dict()


def test_uses_the_arcface_target_and_fallback():
    s, m = 10.0, 0.5
    head = three_class_head(s=s, m=m).eval()
    arc = MODELS.build(dict(type='ArcFaceHead', num_classes=3, in_channels=2, s=s, m=m)).double()
    arc.weight.data = head.weight.data.clone()
    feats = torch.tensor([unit(3.0), unit(0.3)], dtype=torch.float64)
    labels = torch.tensor([0, 0])
    ours, theirs = head(feats, labels), arc(feats, labels)
    assert torch.allclose(ours[:, 0], theirs[:, 0])
    assert ours[0, 0].item() == pytest.approx(s * (math.cos(3.0) - m * math.sin(math.pi - m)))
    assert isinstance(head, ArcFaceHead)


def test_loss_and_grad():
    torch.manual_seed(0)
    head = CurricularFaceHead(num_classes=6, in_channels=8)
    feats = torch.randn(4, 8, requires_grad=True)
    out = head.loss(feats, torch.tensor([0, 1, 5, 2]))
    assert set(out) == {'loss_cls', 'accuracy'} and out['loss_cls'].dim() == 0
    out['loss_cls'].backward()
    assert torch.isfinite(feats.grad).all() and feats.grad.abs().sum() > 0


@pytest.mark.parametrize('momentum', [-0.1, 1.5])
def test_bad_momentum(momentum):
    with pytest.raises(ValueError, match='^momentum '):
        CurricularFaceHead(num_classes=3, in_channels=2, momentum=momentum)
