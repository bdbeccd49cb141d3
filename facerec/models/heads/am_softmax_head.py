"""Additive margin softmax head (AM-softmax / CosFace)."""

from typing import List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from facerec.registry import MODELS

from .margin_head import MarginHead


@MODELS.register_module()
class AMSoftmaxHead(MarginHead):
    """Additive cosine margin head: logits are ``s * (cos - m * onehot)``.

    Args:
        num_classes (int): Number of identities.
        in_channels (int): Size of the input embeddings.
        s (float): Scale of the cosine logits. Defaults to 30.0.
        m (float): Cosine margin subtracted from the target class. Defaults to 0.35.
        loss (dict or nn.Module): Classification loss config or module.
            Defaults to ``dict(type='CrossEntropyLoss')``.
        init_cfg (dict or list[dict], optional): Initialisation config.
            Defaults to None.
        mining_type (str, optional): ``'sv'`` for support-vector hard-example
            mining (see :class:`MarginHead`), None for none. Defaults to None.
        t (float): Scale of the mined negatives, ``t * cos + t - 1``.
            Defaults to 1.1.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        s: float = 30.0,
        m: float = 0.35,
        loss: Union[dict, nn.Module, None] = None,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
        mining_type: Optional[str] = None,
        t: float = 1.1,
    ) -> None:
        super().__init__(
            num_classes,
            in_channels,
            s=s,
            m=m,
            loss=loss,
            init_cfg=init_cfg,
            mining_type=mining_type,
            t=t,
        )

    def apply_margin(self, cos: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Subtract ``m`` from the target-class cosines.

        Args:
            cos (Tensor): Cosines of shape (N, num_classes).
            labels (Tensor): Target class indices of shape (N,).

        Returns:
            Tensor: Unscaled logits of shape (N, num_classes).
        """
        one_hot = F.one_hot(labels, self.num_classes).to(cos.dtype)
        return cos - self.m * one_hot
