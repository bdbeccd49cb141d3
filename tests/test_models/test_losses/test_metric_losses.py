import math

import pytest
import torch

import facerec.models  # noqa: F401
from facerec.models.losses import CenterLoss, MinMarginLoss, PushLoss
from facerec.registry import MODELS


class FakeHead(torch.nn.Module):
    def __init__(self, weight):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.tensor(weight, dtype=torch.float64))


def unit(angle: float, norm: float = 1.0):
    return [norm * math.cos(angle), norm * math.sin(angle)]


# Classes at 0, 60 and 180 degrees: pair cosines 0.5 (0-1), -1 (0-2), -0.5 (1-2).
HEAD_WEIGHTS = [unit(0.0, 2.0), unit(math.pi / 3, 0.5), unit(math.pi, 3.0)]


def test_center_loss_raw_and_normalised_by_hand():
    loss = MODELS.build(
        dict(type='CenterLoss', num_classes=2, in_channels=2, normalize=False, loss_weight=0.5)
    )
    loss.centers.data = torch.tensor([[0.0, 0.0], [0.0, 1.0]])
    feats = torch.tensor([[1.0, 0.0], [0.0, 3.0], [2.0, 0.0]])
    labels = torch.tensor([0, 1, 0])
    # Squared distances 1, 4 and 4.
    assert loss(feats, labels).item() == pytest.approx(0.5 * 9.0 / 3)
    normed = CenterLoss(num_classes=2, in_channels=2)
    normed.centers.data = torch.tensor([[0.0, 5.0], [1.0, 0.0]])
    # Unit features (1, 0) and (0, 1) against unit centres (0, 1) and (1, 0): distance^2 2.
    feats = torch.tensor([[3.0, 0.0], [0.0, 0.5]])
    assert normed(feats, torch.tensor([0, 1])).item() == pytest.approx(2.0)
    assert normed(feats, torch.tensor([1, 0])).item() == pytest.approx(0.0, abs=1e-7)


def test_center_loss_gradient_reaches_centres():
    loss = CenterLoss(num_classes=4, in_channels=3)
    feats = torch.randn(5, 3, requires_grad=True)
    loss(feats, torch.tensor([0, 1, 1, 3, 0])).backward()
    assert loss.centers.grad is not None
    assert loss.centers.grad[2].abs().sum() == 0 and loss.centers.grad[0].abs().sum() > 0
    assert feats.grad is not None


@pytest.mark.parametrize('margin, expected', [(0.0, 0.5 / 3), (-0.6, (1.1 + 0.1) / 3)])
def test_push_loss_by_hand(margin, expected):
    head = FakeHead(HEAD_WEIGHTS)
    loss = PushLoss(margin=margin, loss_weight=2.0)
    out = loss(torch.zeros(2, 2), torch.tensor([0, 1]), head=head)
    assert out.item() == pytest.approx(2.0 * expected)
    out.backward()
    assert head.weight.grad is not None and torch.isfinite(head.weight.grad).all()


def test_push_loss_batch_classes_only():
    head = FakeHead(HEAD_WEIGHTS)
    loss = PushLoss(batch_classes_only=True)
    assert loss(None, torch.tensor([0, 1, 0]), head=head).item() == pytest.approx(0.5)
    assert loss(None, torch.tensor([1, 2]), head=head).item() == pytest.approx(0.0)
    single = loss(None, torch.tensor([2, 2]), head=head)
    assert single.item() == 0.0 and single.requires_grad


def test_min_margin_loss_by_hand():
    head = FakeHead(HEAD_WEIGHTS)
    loss = MODELS.build(dict(type='MinMarginLoss', margin=1.2, loss_weight=3.0))
    # Angles pi/3, pi and 2pi/3: only the first pair is closer than 1.2 rad.
    out = loss(torch.zeros(1, 2), torch.tensor([0]), head=head)
    assert out.item() == pytest.approx(3.0 * (1.2 - math.pi / 3) / 3, rel=1e-5)
    out.backward()
    assert torch.isfinite(head.weight.grad).all() and head.weight.grad.abs().sum() > 0
    wide = MinMarginLoss(margin=2.5)
    expected = ((2.5 - math.pi / 3) + (2.5 - 2 * math.pi / 3)) / 3
    assert wide(None, torch.tensor([0]), head=head).item() == pytest.approx(expected, rel=1e-5)


def test_identical_weights_are_finite():
    head = FakeHead([[1.0, 0.0], [1.0, 0.0]])
    out = MinMarginLoss(margin=0.5)(None, torch.tensor([0, 1]), head=head)
    out.backward()
    assert out.item() == pytest.approx(0.5, abs=1e-2)
    assert torch.isfinite(head.weight.grad).all()


@pytest.mark.parametrize('loss_cls', [PushLoss, MinMarginLoss])
def test_class_weight_losses_need_a_head(loss_cls):
    with pytest.raises(ValueError, match='head'):
        loss_cls()(torch.zeros(2, 2), torch.tensor([0, 1]))


def test_loss_names_and_bad_args():
    assert (CenterLoss.loss_name, PushLoss.loss_name, MinMarginLoss.loss_name) == (
        'center',
        'push',
        'min_margin',
    )
    with pytest.raises(ValueError, match='^margin '):
        PushLoss(margin=1.5)
    with pytest.raises(ValueError, match='^margin '):
        MinMarginLoss(margin=-0.1)
    with pytest.raises(ValueError, match='^loss_weight '):
        CenterLoss(num_classes=2, in_channels=2, loss_weight=-1.0)
    with pytest.raises(ValueError, match='^num_classes '):
        CenterLoss(num_classes=0, in_channels=2)
