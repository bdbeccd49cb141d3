"""Base class of the cosine classification heads with an additive margin."""

import numbers
from abc import ABCMeta, abstractmethod
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from facerec.registry import MODELS


class MarginHead(BaseModule, metaclass=ABCMeta):
    """Cosine classifier whose target logit is penalised by a margin.

    The logits are ``s`` times the cosine between the L2-normalised features
    and the L2-normalised class weights; when labels are given, subclasses
    apply their margin to the target class in :meth:`apply_margin`. The head is
    only used in training, to shape the embedding space.

    Hard-example mining (``mining_type='sv'``) follows the support-vector
    guided softmax (SV-AM-softmax, Wang et al., AAAI 2020): after the margin
    is applied, every non-target cosine ``cos_j`` greater than the sample's
    target logit with margin (``cos_y - m`` for AM-softmax, ``cos(theta_y + m)``
    for ArcFace) marks a misclassified "support vector" and is replaced by
    ``t * cos_j + t - 1``, which is larger for ``t > 1`` and so weighs that
    negative more in the softmax. Other logits are untouched, and with
    ``mining_type=None`` (the default) the logits are exactly the margin ones.

    Args:
        num_classes (int): Number of identities.
        in_channels (int): Size of the input embeddings.
        s (float): Scale of the cosine logits. Defaults to 30.0.
        m (float): Margin. Defaults to 0.0.
        mining_type (str, optional): ``None`` for no hard-example mining or
            ``'sv'`` for the support-vector mining described above. Defaults to
            None.
        t (float): Scale of the mined negatives, at least 1 (``t=1`` leaves
            them unchanged), stored as ``sv_t``. Only used with
            ``mining_type='sv'``. Defaults to 1.1.
        loss (dict or nn.Module): Config of the classification loss, built with
            ``MODELS.build``, or a loss module. Defaults to
            ``dict(type='CrossEntropyLoss')``.
        init_cfg (dict or list[dict], optional): Initialisation config. Without
            it the class weights are Xavier-uniform initialised. Defaults to None.
    """

    MINING_TYPES = (None, 'sv')

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        s: float = 30.0,
        m: float = 0.0,
        loss: Union[dict, nn.Module, None] = None,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
        mining_type: Optional[str] = None,
        t: float = 1.1,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (('num_classes', num_classes), ('in_channels', in_channels)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
                raise ValueError(f'{name} must be a positive int, got {value!r}')
        if not isinstance(s, numbers.Real) or not s > 0:
            raise ValueError(f's must be a positive number, got {s!r}')
        if not isinstance(m, numbers.Real) or not m >= 0:
            raise ValueError(f'm must be a non-negative number, got {m!r}')
        if mining_type not in self.MINING_TYPES:
            raise ValueError(f'mining_type must be one of {self.MINING_TYPES}, got {mining_type!r}')
        if isinstance(t, bool) or not isinstance(t, numbers.Real) or not t >= 1:
            raise ValueError(f't must be a number >= 1, got {t!r}')
        self.num_classes = int(num_classes)
        self.in_channels = int(in_channels)
        self.s = float(s)
        self.m = float(m)
        self.mining_type = mining_type
        self.sv_t = float(t)
        if loss is None:
            loss = dict(type='CrossEntropyLoss')
        self.loss_module = loss if isinstance(loss, nn.Module) else MODELS.build(loss)
        self.weight = nn.Parameter(torch.empty(self.num_classes, self.in_channels))
        nn.init.xavier_uniform_(self.weight)

    def init_weights(self) -> None:
        """Initialise the class weights (Xavier uniform) unless ``init_cfg`` is set."""
        if self.init_cfg:
            super().init_weights()
            return
        nn.init.xavier_uniform_(self.weight)
        self._is_init = True

    def cosine(self, feats: torch.Tensor) -> torch.Tensor:
        """Cosine similarity between the features and every class weight.

        Args:
            feats (Tensor): Embeddings of shape (N, in_channels).

        Returns:
            Tensor: Cosines of shape (N, num_classes).
        """
        return F.linear(F.normalize(feats, dim=1), F.normalize(self.weight, dim=1))

    def logit_scale(self, feats: torch.Tensor) -> Union[float, torch.Tensor]:
        """The factor the unscaled logits are multiplied by: ``s``.

        Args:
            feats (Tensor): Embeddings of shape (N, in_channels).

        Returns:
            float or Tensor: A number, or a tensor broadcastable to (N, num_classes).
        """
        return self.s

    @abstractmethod
    def apply_margin(self, cos: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Apply the margin to the target-class cosines.

        Args:
            cos (Tensor): Cosines of shape (N, num_classes).
            labels (Tensor): Target class indices of shape (N,).

        Returns:
            Tensor: Unscaled logits of shape (N, num_classes).
        """

    def mine_hard_examples(
        self, cos: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        """Re-weight the hard negatives of the margin logits (see the class docs).

        Args:
            cos (Tensor): Plain cosines of shape (N, num_classes).
            logits (Tensor): Unscaled logits with margin of shape (N, num_classes),
                as returned by :meth:`apply_margin`.
            labels (Tensor): Target class indices of shape (N,).

        Returns:
            Tensor: Unscaled logits of shape (N, num_classes): ``logits`` unchanged
            without mining; with ``mining_type='sv'`` the non-target entries whose
            cosine exceeds the target logit replaced by ``t * cos + t - 1``.
        """
        if self.mining_type is None:
            return logits
        index = labels.view(-1, 1)
        target = logits.gather(1, index)
        negative = torch.ones_like(cos, dtype=torch.bool).scatter(1, index, False)
        hard = negative & (cos > target)
        return torch.where(hard, self.sv_t * cos + (self.sv_t - 1.0), logits)

    def margin_logits(self, cos: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Apply the margin and then the optional hard-example mining.

        Args:
            cos (Tensor): Cosines of shape (N, num_classes).
            labels (Tensor): Target class indices of shape (N,).

        Returns:
            Tensor: Unscaled logits of shape (N, num_classes).
        """
        logits = self.apply_margin(cos, labels)
        if self.mining_type is None:
            return logits
        return self.mine_hard_examples(cos, logits, labels)

    def forward(self, feats: torch.Tensor, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute the scaled logits.

        Args:
            feats (Tensor): Embeddings of shape (N, in_channels).
            labels (Tensor, optional): Target class indices of shape (N,). When
                given, the margin is applied to each sample's target class.

        Returns:
            Tensor: Logits of shape (N, num_classes).
        """
        cos = self.cosine(feats)
        if labels is not None:
            cos = self.margin_logits(cos, labels.reshape(-1).long())
        return self.logit_scale(feats) * cos

    def loss(self, feats: torch.Tensor, labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Compute the training loss and the top-1 accuracy.

        Args:
            feats (Tensor): Embeddings of shape (N, in_channels).
            labels (Tensor): Target class indices of shape (N,).

        Returns:
            dict[str, Tensor]: ``loss_cls``, the loss on the logits with margin,
            and ``accuracy``, the top-1 accuracy (fraction in [0, 1]) of the
            plain cosines, detached from the graph.
        """
        labels = labels.reshape(-1).long()
        cos = self.cosine(feats)
        logits = self.logit_scale(feats) * self.margin_logits(cos, labels)
        loss_cls = self.loss_module(logits, labels)
        with torch.no_grad():
            accuracy = (cos.argmax(dim=1) == labels).float().mean()
        return {'loss_cls': loss_cls, 'accuracy': accuracy}
