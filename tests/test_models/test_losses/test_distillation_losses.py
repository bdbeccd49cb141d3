import numpy as np
import pytest
import torch

import facerec.models  # noqa: F401
from facerec.models.losses import (
    CosineEmbeddingDistillLoss,
    MSEEmbeddingDistillLoss,
    RelationalDistillLoss,
)
from facerec.registry import MODELS

STUDENT = [[1.0, 0.0], [0.0, 2.0], [3.0, 4.0]]
TEACHER = [[2.0, 0.0], [1.0, 1.0], [0.0, -1.0]]


def unit_rows(x):
    x = np.asarray(x, np.float64)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_cosine_loss_by_hand():
    loss = MODELS.build(dict(type='CosineEmbeddingDistillLoss', loss_weight=2.0))
    # Cosines 1, 1/sqrt(2) and -4/5.
    expected = 2.0 * np.mean([0.0, 1 - 2**-0.5, 1 + 0.8])
    out = loss(torch.tensor(STUDENT), torch.tensor(TEACHER))
    assert out.item() == pytest.approx(expected, rel=1e-6)
    assert loss.loss_name == 'distill_cosine'


def test_mse_loss_on_normalised_embeddings_by_hand():
    loss = MSEEmbeddingDistillLoss(loss_weight=0.5)
    diff = unit_rows(STUDENT) - unit_rows(TEACHER)
    expected = 0.5 * (diff**2).mean()
    assert loss(torch.tensor(STUDENT), torch.tensor(TEACHER)).item() == pytest.approx(expected)
    # Per image (2 - 2 cos) / D.
    cos = (unit_rows(STUDENT) * unit_rows(TEACHER)).sum(1)
    assert expected == pytest.approx(0.5 * np.mean((2 - 2 * cos) / 2))


@pytest.mark.parametrize('criterion', ['mse', 'smooth_l1'])
def test_relational_loss_by_hand_with_other_sizes(criterion):
    student = np.array(STUDENT)
    teacher = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]])
    s, t = unit_rows(student), unit_rows(teacher)
    diff = s @ s.T - t @ t.T
    beta = 0.3
    if criterion == 'mse':
        penalty = diff**2
    else:
        a = np.abs(diff)
        penalty = np.where(a < beta, 0.5 * a**2 / beta, a - 0.5 * beta)
    off = ~np.eye(3, dtype=bool)
    expected = 3.0 * penalty[off].mean()
    loss = RelationalDistillLoss(criterion=criterion, beta=beta, loss_weight=3.0)
    out = loss(torch.tensor(student), torch.tensor(teacher))
    assert out.item() == pytest.approx(expected, rel=1e-6)


def test_relational_loss_single_image_is_zero_and_attached():
    student = torch.randn(1, 4, requires_grad=True)
    out = RelationalDistillLoss()(student, torch.randn(1, 8))
    assert out.item() == 0.0
    out.backward()
    assert student.grad is not None


@pytest.mark.parametrize('cls', [CosineEmbeddingDistillLoss, MSEEmbeddingDistillLoss])
def test_size_mismatch_names_both_sizes(cls):
    with pytest.raises(
        ValueError, match='student embedding size is 4.*teacher embedding size is 8'
    ):
        cls()(torch.randn(2, 4), torch.randn(2, 8))


def test_gradients_reach_the_student_only():
    student = torch.randn(4, 6, requires_grad=True)
    teacher = torch.randn(4, 6, requires_grad=True)
    for loss in (CosineEmbeddingDistillLoss(), MSEEmbeddingDistillLoss(), RelationalDistillLoss()):
        loss(student, teacher).backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    assert teacher.grad is None


def test_bad_arguments():
    with pytest.raises(ValueError, match='loss_weight'):
        CosineEmbeddingDistillLoss(loss_weight=-1)
    with pytest.raises(ValueError, match='criterion'):
        RelationalDistillLoss(criterion='l2')
    with pytest.raises(ValueError, match='batch|images'):
        CosineEmbeddingDistillLoss()(torch.randn(3, 4), torch.randn(2, 4))
