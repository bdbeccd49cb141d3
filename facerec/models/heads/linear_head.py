"""Plain softmax classification head."""

from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from facerec.registry import MODELS
from facerec.utils.checks import check_positive_int


@MODELS.register_module()
class LinearHead(BaseModule):
    """Fully connected softmax classifier: logits are ``W x + b``.

    A baseline without normalisation or margin. It keeps the contract of the
    margin heads: ``forward(feats, labels=None)`` returns the logits (labels are
    accepted and ignored) and :meth:`loss` returns ``loss_cls`` and
    ``accuracy``. The class weights are exposed as :attr:`weight` for auxiliary
    losses that use them.

    Args:
        num_classes (int): Number of identities.
        in_channels (int): Size of the input embeddings.
        loss (dict or nn.Module): Config of the classification loss, built with
            ``MODELS.build``, or a loss module. Defaults to
            ``dict(type='CrossEntropyLoss')``.
        init_cfg (dict or list[dict], optional): Initialisation config. Without
            it the layer keeps PyTorch's default ``nn.Linear`` initialisation.
            Defaults to None.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        loss: Union[dict, nn.Module, None] = None,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = check_positive_int('num_classes', num_classes)
        self.in_channels = check_positive_int('in_channels', in_channels)
        if loss is None:
            loss = dict(type='CrossEntropyLoss')
        self.loss_module = loss if isinstance(loss, nn.Module) else MODELS.build(loss)
        self.fc = nn.Linear(self.in_channels, self.num_classes)

    @property
    def weight(self) -> nn.Parameter:
        """The class weights, shape (num_classes, in_channels)."""
        return self.fc.weight

    def forward(self, feats: torch.Tensor, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute the logits.

        Args:
            feats (Tensor): Embeddings of shape (N, in_channels).
            labels (Tensor, optional): Ignored; accepted for the head contract.

        Returns:
            Tensor: Logits of shape (N, num_classes).
        """
        return self.fc(feats)

    def loss(self, feats: torch.Tensor, labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Compute the training loss and the top-1 accuracy.

        Args:
            feats (Tensor): Embeddings of shape (N, in_channels).
            labels (Tensor): Target class indices of shape (N,).

        Returns:
            dict[str, Tensor]: ``loss_cls``, the loss on the logits, and
            ``accuracy``, the top-1 accuracy (fraction in [0, 1]) of the logits,
            detached from the graph.
        """
        labels = labels.reshape(-1).long()
        logits = self.fc(feats)
        loss_cls = self.loss_module(logits, labels)
        with torch.no_grad():
            accuracy = (logits.argmax(dim=1) == labels).float().mean()
        return {'loss_cls': loss_cls, 'accuracy': accuracy}
