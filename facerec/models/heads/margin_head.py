"""Base class of the cosine classification heads with a margin."""

from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from facerec.registry import MODELS
from facerec.utils.checks import check_choice, check_number, check_positive_int

from .margins import Margin, flatten_margin_state

MINING_TYPES = (None, 'sv')


def mining_t(mining_type: Optional[str], t: float) -> Optional[float]:
    """The support-vector scale a margin gets from ``mining_type`` and ``t``, checked.

    Args:
        mining_type (str, optional): None or ``'sv'``.
        t (float): Scale of the mined negatives, >= 1.

    Returns:
        float or None: ``t`` with ``'sv'`` mining, None without.
    """
    check_choice('mining_type', mining_type, MINING_TYPES)
    t = check_number('t', t, low=1)
    return t if mining_type == 'sv' else None


class MarginHead(BaseModule):
    """Cosine classifier whose target logit is penalised by a margin.

    The logits are ``s`` times the cosine between the L2-normalised features
    and the L2-normalised class weights; when labels are given, the margin module
    (:mod:`facerec.models.heads.margins`) turns them into margin logits. The head is
    only used in training, to shape the embedding space. Subclasses choose the margin;
    its state (e.g. CurricularFace's ``t``) is saved under the head's own keys.

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
        margin (Margin): The margin module.
        s (float): Scale of the cosine logits. Defaults to 30.0.
        loss (dict or nn.Module): Config of the classification loss, built with
            ``MODELS.build``, or a loss module. Defaults to
            ``dict(type='CrossEntropyLoss')``.
        init_cfg (dict or list[dict], optional): Initialisation config. Without
            it the class weights are Xavier-uniform initialised. Defaults to None.
        mining_type (str, optional): ``None`` for no hard-example mining or
            ``'sv'`` for the support-vector mining described above. Defaults to
            None.
        t (float): Scale of the mined negatives, at least 1 (``t=1`` leaves
            them unchanged), stored as ``sv_t``. Only used with
            ``mining_type='sv'``. Defaults to 1.1.
    """

    MINING_TYPES = MINING_TYPES

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        margin: Margin,
        s: float = 30.0,
        loss: Union[dict, nn.Module, None] = None,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
        mining_type: Optional[str] = None,
        t: float = 1.1,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = check_positive_int('num_classes', num_classes)
        self.in_channels = check_positive_int('in_channels', in_channels)
        self.s = check_number('s', s, low=0, low_open=True)
        margin.mining_t = mining_t(mining_type, t)
        self.mining_type = mining_type
        self.sv_t = float(t)
        if loss is None:
            loss = dict(type='CrossEntropyLoss')
        self.loss_module = loss if isinstance(loss, nn.Module) else MODELS.build(loss)
        self.weight = nn.Parameter(torch.empty(self.num_classes, self.in_channels))
        nn.init.xavier_uniform_(self.weight)
        self.margin = margin
        flatten_margin_state(self)

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

    def apply_margin(self, cos: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Apply the margin (and the optional mining) to the cosines.

        Args:
            cos (Tensor): Cosines of shape (N, num_classes).
            labels (Tensor): Target class indices of shape (N,).

        Returns:
            Tensor: Unscaled logits of shape (N, num_classes).
        """
        return self.margin(cos, labels)

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
        logits = self.logit_scale(feats) * self.apply_margin(cos, labels)
        loss_cls = self.loss_module(logits, labels)
        with torch.no_grad():
            accuracy = (cos.argmax(dim=1) == labels).float().mean()
        if self.training:
            self.margin.after_loss()
        return {'loss_cls': loss_cls, 'accuracy': accuracy}
