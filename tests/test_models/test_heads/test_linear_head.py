import pytest
import torch
import torch.nn.functional as F

import facerec.models  # noqa: F401
from facerec.models.heads import LinearHead
from facerec.registry import MODELS


def make_head():
    head = MODELS.build(dict(type='LinearHead', num_classes=3, in_channels=2))
    head.fc.weight.data = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    head.fc.bias.data = torch.tensor([0.0, 0.5, -2.0])
    return head


def test_logits_by_hand():
    head = make_head()
    feats = torch.tensor([[2.0, 1.0], [0.0, 0.0]])
    expected = torch.tensor([[2.0, 1.5, 1.0], [0.0, 0.5, -2.0]])
    assert torch.allclose(head(feats), expected)
    assert torch.allclose(head(feats, torch.tensor([0, 1])), expected)
    assert head.weight is head.fc.weight


def test_loss_and_accuracy_from_logits():
    head = make_head()
    # Sample 1 points at class 2 (cosine 1), but the bias makes class 1 the top logit.
    feats = torch.tensor([[2.0, 1.0], [1.0, 1.0]], requires_grad=True)
    labels = torch.tensor([0, 1])
    out = head.loss(feats, labels)
    assert set(out) == {'loss_cls', 'accuracy'}
    assert torch.allclose(out['loss_cls'], F.cross_entropy(head(feats), labels))
    assert out['accuracy'].item() == pytest.approx(1.0)
    assert not out['accuracy'].requires_grad
    out['loss_cls'].backward()
    assert head.fc.bias.grad is not None and feats.grad is not None


def test_bad_args():
    with pytest.raises(ValueError, match='^num_classes '):
        LinearHead(num_classes=0, in_channels=2)
