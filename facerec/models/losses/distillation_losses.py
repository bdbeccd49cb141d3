"""Knowledge-distillation losses between student and teacher embeddings.

Each loss is called as ``loss(student, teacher)`` on the embeddings ``(N, D_s)`` of the
student and ``(N, D_t)`` of the teacher (raw, not L2-normalised) and returns a scalar
already multiplied by ``loss_weight``. The teacher embeddings are detached: only the
student gets gradients. :class:`~facerec.models.EmbeddingDistiller` logs each loss as
``loss_<loss_name>``.

:class:`CosineEmbeddingDistillLoss` and :class:`MSEEmbeddingDistillLoss` compare the two
embeddings of each image, so both models must have the same embedding size (a mismatch is
an error naming both sizes); :class:`RelationalDistillLoss` compares the similarity
structure of the batch, so the sizes may differ.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from facerec.registry import MODELS
from facerec.utils.checks import check_choice, check_number

__all__ = [
    'EmbeddingDistillLoss',
    'CosineEmbeddingDistillLoss',
    'MSEEmbeddingDistillLoss',
    'RelationalDistillLoss',
]


class EmbeddingDistillLoss(nn.Module):
    """Base class of the distillation losses on embeddings.

    Args:
        loss_weight: Factor the loss is multiplied by.
    """

    #: Short name of the loss; the distiller logs it as ``loss_<loss_name>``.
    loss_name: str = 'distill'
    #: Whether student and teacher may have embeddings of different sizes.
    allows_size_mismatch: bool = False

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = check_number('loss_weight', loss_weight, low=0)

    def _check(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        """Check the shapes and return the detached teacher embeddings in the student's dtype."""
        if student.dim() != 2 or teacher.dim() != 2:
            raise ValueError(
                f'{type(self).__name__} expects (N, D) embeddings, got student '
                f'{tuple(student.shape)} and teacher {tuple(teacher.shape)}'
            )
        if student.shape[0] != teacher.shape[0]:
            raise ValueError(
                f'{type(self).__name__}: the student embeds {student.shape[0]} images but the '
                f'teacher {teacher.shape[0]}'
            )
        if not self.allows_size_mismatch and student.shape[1] != teacher.shape[1]:
            raise ValueError(
                f'{type(self).__name__} compares embeddings of the same size, but the student '
                f'embedding size is {student.shape[1]} and the teacher embedding size is '
                f'{teacher.shape[1]}; use RelationalDistillLoss, or give the student '
                f'embedding_size={teacher.shape[1]}'
            )
        return teacher.detach().to(device=student.device, dtype=student.dtype)

    def forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        """Compute the weighted scalar loss.

        Args:
            student: Student embeddings ``(N, D_s)``.
            teacher: Teacher embeddings ``(N, D_t)`` (detached here).

        Returns:
            The scalar loss times ``loss_weight``.
        """
        raise NotImplementedError


@MODELS.register_module()
class CosineEmbeddingDistillLoss(EmbeddingDistillLoss):
    """``loss_weight * mean_i (1 - cos(s_i, t_i))`` over the batch.

    Args:
        loss_weight: Factor the loss is multiplied by.
    """

    loss_name = 'distill_cosine'

    def forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        teacher = self._check(student, teacher)
        cos = F.cosine_similarity(student, teacher, dim=1, eps=1e-8)
        return self.loss_weight * (1.0 - cos).mean()


@MODELS.register_module()
class MSEEmbeddingDistillLoss(EmbeddingDistillLoss):
    """Mean squared error between the L2-normalised embeddings.

    ``loss_weight * mean_{i, k} (s_ik / |s_i| - t_ik / |t_i|)^2``, the mean over the batch and
    the ``D`` embedding dimensions (as ``torch.nn.functional.mse_loss``); per image it equals
    ``(2 - 2 cos(s_i, t_i)) / D``.

    Args:
        loss_weight: Factor the loss is multiplied by.
    """

    loss_name = 'distill_mse'

    def forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        teacher = self._check(student, teacher)
        return self.loss_weight * F.mse_loss(
            F.normalize(student, dim=1), F.normalize(teacher, dim=1)
        )


@MODELS.register_module()
class RelationalDistillLoss(EmbeddingDistillLoss):
    """Similarity-matrix distillation: the student's pairwise cosines follow the teacher's.

    With ``S`` and ``T`` the ``N x N`` cosine-similarity matrices of the batch's student and
    teacher embeddings, the loss is the mean over the ``N (N - 1)`` off-diagonal entries of
    ``(S_ij - T_ij)^2`` (``criterion='mse'``) or of the smooth L1 of ``S_ij - T_ij`` with
    threshold ``beta`` (``criterion='smooth_l1'``), times ``loss_weight``. The embedding sizes
    of the two models may differ. A batch of one image gives 0 (attached to the graph).

    Args:
        criterion: ``'mse'`` or ``'smooth_l1'``.
        beta: Threshold of the smooth L1 between its quadratic and linear parts.
        loss_weight: Factor the loss is multiplied by.
    """

    loss_name = 'distill_relation'
    allows_size_mismatch = True

    def __init__(self, criterion: str = 'mse', beta: float = 1.0, loss_weight: float = 1.0):
        super().__init__(loss_weight=loss_weight)
        self.criterion = check_choice('criterion', criterion, ('mse', 'smooth_l1'))
        self.beta = check_number('beta', beta, 0, math.inf, low_open=True, high_open=True)

    @staticmethod
    def similarity(feats: torch.Tensor) -> torch.Tensor:
        """The ``N x N`` cosine similarities of a batch of embeddings."""
        unit = F.normalize(feats, dim=1)
        return unit @ unit.t()

    def forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        teacher = self._check(student, teacher)
        num = student.shape[0]
        if num < 2:
            return student.sum() * 0.0
        diff = self.similarity(student) - self.similarity(teacher)
        if self.criterion == 'mse':
            penalty = diff.pow(2)
        else:
            penalty = F.smooth_l1_loss(
                diff, torch.zeros_like(diff), reduction='none', beta=self.beta
            )
        off_diagonal = ~torch.eye(num, dtype=torch.bool, device=student.device)
        return self.loss_weight * penalty[off_diagonal].mean()
