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

    Args:
        num_classes (int): Number of identities.
        in_channels (int): Size of the input embeddings.
        s (float): Scale of the cosine logits. Defaults to 30.0.
        m (float): Margin. Defaults to 0.0.
        loss (dict or nn.Module): Config of the classification loss, built with
            ``MODELS.build``, or a loss module. Defaults to
            ``dict(type='CrossEntropyLoss')``.
        init_cfg (dict or list[dict], optional): Initialisation config. Without
            it the class weights are Xavier-uniform initialised. Defaults to None.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        s: float = 30.0,
        m: float = 0.0,
        loss: Union[dict, nn.Module, None] = None,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (('num_classes', num_classes), ('in_channels', in_channels)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
                raise ValueError(f'{name} must be a positive int, got {value!r}')
        if not isinstance(s, numbers.Real) or not s > 0:
            raise ValueError(f's must be a positive number, got {s!r}')
        if not isinstance(m, numbers.Real) or not m >= 0:
            raise ValueError(f'm must be a non-negative number, got {m!r}')
        self.num_classes = int(num_classes)
        self.in_channels = int(in_channels)
        self.s = float(s)
        self.m = float(m)
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

    @abstractmethod
    def apply_margin(self, cos: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Apply the margin to the target-class cosines.

        Args:
            cos (Tensor): Cosines of shape (N, num_classes).
            labels (Tensor): Target class indices of shape (N,).

        Returns:
            Tensor: Unscaled logits of shape (N, num_classes).
        """

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
            cos = self.apply_margin(cos, labels.reshape(-1).long())
        return self.s * cos

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
        logits = self.s * self.apply_margin(cos, labels)
        loss_cls = self.loss_module(logits, labels)
        with torch.no_grad():
            accuracy = (cos.argmax(dim=1) == labels).float().mean()
        return {'loss_cls': loss_cls, 'accuracy': accuracy}
