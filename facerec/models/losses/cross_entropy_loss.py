"""Softmax cross entropy loss."""

import torch
import torch.nn as nn
import torch.nn.functional as F

from facerec.registry import MODELS


@MODELS.register_module()
class CrossEntropyLoss(nn.Module):
    """Softmax cross entropy with optional label smoothing.

    Args:
        label_smoothing (float): Amount of label smoothing, in [0, 1].
            Defaults to 0.0.
        loss_weight (float): Factor the loss is multiplied by. Defaults to 1.0.
    """

    def __init__(self, label_smoothing: float = 0.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f'label_smoothing must be in [0, 1], got {label_smoothing!r}')
        self.label_smoothing = float(label_smoothing)
        self.loss_weight = float(loss_weight)

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): Unnormalised class scores of shape (N, C).
            labels (Tensor): Class indices of shape (N,).

        Returns:
            Tensor: The scalar loss, averaged over the samples.
        """
        loss = F.cross_entropy(
            logits, labels.reshape(-1).long(), label_smoothing=self.label_smoothing
        )
        return self.loss_weight * loss
