"""Auxiliary metric losses on embeddings and class weights.

They follow a small protocol so :class:`~facerec.models.FaceRecognizer` can
add them to the loss of its head: ``forward(feats, labels, head=None)`` takes
the embeddings ``(N, D)``, the identity labels ``(N,)`` and the recogniser's
training head, and returns a scalar already multiplied by ``loss_weight``.
Losses on class weights read ``head.weight`` (``(num_classes, D)``), which the
margin heads and :class:`~facerec.models.heads.LinearHead` provide. Each class
names its log key in ``loss_name`` (``loss_<loss_name>`` in the loss dict).
"""

import math
from abc import ABCMeta, abstractmethod
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from facerec.registry import MODELS
from facerec.utils.checks import check_number, check_positive_int

__all__ = ['AuxiliaryLoss', 'CenterLoss', 'PushLoss', 'MinMarginLoss']


class AuxiliaryLoss(nn.Module, metaclass=ABCMeta):
    """Base class of the auxiliary losses used next to a classification head.

    Args:
        loss_weight (float): Factor the loss is multiplied by. Defaults to 1.0.
    """

    #: Short name of the loss; the recogniser logs it as ``loss_<loss_name>``.
    loss_name: str = 'aux'

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = check_number('loss_weight', loss_weight, low=0)

    @abstractmethod
    def forward(
        self, feats: torch.Tensor, labels: torch.Tensor, head: Optional[nn.Module] = None
    ) -> torch.Tensor:
        """Compute the weighted scalar loss.

        Args:
            feats (Tensor): Embeddings of shape (N, D).
            labels (Tensor): Identity labels of shape (N,).
            head (nn.Module, optional): The training head, for losses on its
                class weights.

        Returns:
            Tensor: The scalar loss times ``loss_weight``.
        """


class _ClassWeightLoss(AuxiliaryLoss):
    """Common part of the losses on pairs of normalised class weights."""

    def __init__(
        self, margin: float, batch_classes_only: bool = False, loss_weight: float = 1.0
    ) -> None:
        super().__init__(loss_weight=loss_weight)
        self.margin = float(margin)
        self.batch_classes_only = bool(batch_classes_only)

    def _normalised_weights(self, labels: torch.Tensor, head: Optional[nn.Module]) -> torch.Tensor:
        weight = getattr(head, 'weight', None)
        if not isinstance(weight, torch.Tensor) or weight.dim() != 2:
            raise ValueError(
                f'{self.__class__.__name__} needs a head with a 2-d `weight` '
                f'(num_classes, D), got {type(head).__name__}'
            )
        if self.batch_classes_only:
            weight = weight[torch.unique(labels.reshape(-1).long())]
        return F.normalize(weight, dim=1)

    @abstractmethod
    def pair_penalty(self, cos: torch.Tensor) -> torch.Tensor:
        """Element-wise penalty of the pairwise cosines of the class weights."""

    def forward(
        self, feats: torch.Tensor, labels: torch.Tensor, head: Optional[nn.Module] = None
    ) -> torch.Tensor:
        """Mean of the pair penalty over the unordered pairs of distinct classes.

        Args:
            feats (Tensor): Embeddings of shape (N, D) (unused).
            labels (Tensor): Identity labels of shape (N,); used to select the
                classes with ``batch_classes_only``.
            head (nn.Module): The training head, whose ``weight`` holds the classes.

        Returns:
            Tensor: The scalar loss times ``loss_weight``; 0 (still attached to
            the weights) when there are fewer than two classes.
        """
        weight = self._normalised_weights(labels, head)
        num = weight.shape[0]
        if num < 2:
            return weight.sum() * 0.0
        penalty = self.pair_penalty(weight @ weight.t())
        diagonal = torch.eye(num, dtype=torch.bool, device=weight.device)
        # The matrix is symmetric: the off-diagonal mean is the mean over unordered pairs.
        total = torch.where(diagonal, torch.zeros_like(penalty), penalty).sum()
        return self.loss_weight * total / (num * (num - 1))


@MODELS.register_module()
class CenterLoss(AuxiliaryLoss):
    """Center loss (Wen et al., ECCV 2016) with learnable class centres.

    The loss is the mean over the batch of the squared Euclidean distance
    between each embedding and the centre of its class::

        loss = loss_weight * mean_i ||f_i - c_{y_i}||^2.

    With ``normalize=True`` (the default, suited to the cosine heads) features
    and centres are L2-normalised first, so each term is ``2 - 2 cos(f_i, c_y)``
    and lies in ``[0, 4]``; with ``normalize=False`` the raw vectors are used.
    The centres are a parameter of this module, trained by the optimiser with
    the rest of the model (they are Xavier-uniform initialised).

    Args:
        num_classes (int): Number of identities.
        in_channels (int): Size of the embeddings.
        normalize (bool): L2-normalise features and centres. Defaults to True.
        loss_weight (float): Factor the loss is multiplied by. Defaults to 1.0.
    """

    loss_name = 'center'

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        normalize: bool = True,
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__(loss_weight=loss_weight)
        self.num_classes = check_positive_int('num_classes', num_classes)
        self.in_channels = check_positive_int('in_channels', in_channels)
        self.normalize = bool(normalize)
        self.centers = nn.Parameter(torch.empty(self.num_classes, self.in_channels))
        nn.init.xavier_uniform_(self.centers)

    def forward(
        self, feats: torch.Tensor, labels: torch.Tensor, head: Optional[nn.Module] = None
    ) -> torch.Tensor:
        """Compute the loss.

        Args:
            feats (Tensor): Embeddings of shape (N, in_channels).
            labels (Tensor): Identity labels of shape (N,).
            head (nn.Module, optional): Unused.

        Returns:
            Tensor: The scalar loss times ``loss_weight``.
        """
        centers = self.centers[labels.reshape(-1).long()].to(feats.dtype)
        if self.normalize:
            feats = F.normalize(feats, dim=1)
            centers = F.normalize(centers, dim=1)
        return self.loss_weight * (feats - centers).pow(2).sum(dim=1).mean()


@MODELS.register_module()
class PushLoss(_ClassWeightLoss):
    """Push the normalised class weights of the head apart.

    For the L2-normalised class weights ``w_i`` of ``head.weight``::

        loss = loss_weight * mean_{i < j} relu(cos(w_i, w_j) - margin),

    which penalises every pair of classes whose weights are closer than the
    cosine ``margin``. This is the class-weight variant of the push losses; it
    needs no pairs of samples in the batch. It costs a ``C x C`` matrix over all
    ``C`` classes, or only over the classes present in the batch with
    ``batch_classes_only=True``.

    Args:
        margin (float): Cosine below which a pair is not penalised, in
            ``[-1, 1]``. Defaults to 0.0.
        batch_classes_only (bool): Only use the classes of ``labels``.
            Defaults to False.
        loss_weight (float): Factor the loss is multiplied by. Defaults to 1.0.
    """

    loss_name = 'push'

    def __init__(
        self, margin: float = 0.0, batch_classes_only: bool = False, loss_weight: float = 1.0
    ) -> None:
        margin = check_number('margin', margin, low=-1)
        if margin > 1.0:
            raise ValueError(f'margin must be a cosine in [-1, 1], got {margin!r}')
        super().__init__(margin, batch_classes_only, loss_weight)

    def pair_penalty(self, cos: torch.Tensor) -> torch.Tensor:
        """``relu(cos - margin)``."""
        return F.relu(cos - self.margin)


@MODELS.register_module()
class MinMarginLoss(_ClassWeightLoss):
    """Penalise class-weight pairs closer than a minimum angle.

    With ``theta_ij`` the angle between the class weights ``w_i`` and ``w_j``::

        loss = loss_weight * mean_{i < j} relu(margin - theta_ij),

    so pairs at least ``margin`` radians apart cost nothing. Cosines are clamped
    to ``[-1 + eps, 1 - eps]`` before ``acos`` to keep the gradient finite (a
    pair of identical weights gets no gradient).

    Args:
        margin (float): Minimum angle between two classes, in radians, in
            ``[0, pi]``. Defaults to 1.0.
        batch_classes_only (bool): Only use the classes of ``labels``.
            Defaults to False.
        eps (float): Clamp of the cosines. Defaults to 1e-6.
        loss_weight (float): Factor the loss is multiplied by. Defaults to 1.0.
    """

    loss_name = 'min_margin'

    def __init__(
        self,
        margin: float = 1.0,
        batch_classes_only: bool = False,
        eps: float = 1e-6,
        loss_weight: float = 1.0,
    ) -> None:
        margin = check_number('margin', margin, low=0)
        if margin > math.pi:
            raise ValueError(f'margin must be an angle in [0, pi], got {margin!r}')
        super().__init__(margin, batch_classes_only, loss_weight)
        self.eps = check_number('eps', eps, low=0)

    def pair_penalty(self, cos: torch.Tensor) -> torch.Tensor:
        """``relu(margin - acos(cos))``."""
        theta = cos.clamp(-1.0 + self.eps, 1.0 - self.eps).acos()
        return F.relu(self.margin - theta)
