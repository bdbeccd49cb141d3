"""The base class of the losses on softmax logits and class labels."""

from abc import abstractmethod

import torch
import torch.nn as nn

from facerec.utils.checks import check_number


class SoftmaxLoss(nn.Module):
    """A weighted loss on unnormalised class scores and class indices.

    :meth:`forward` flattens the labels to indices of shape (N,), calls :meth:`compute` and
    applies ``loss_weight``.

    Args:
        loss_weight (float): Factor the loss is multiplied by, at least 0. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = check_number('loss_weight', loss_weight, low=0)

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): Unnormalised class scores of shape (N, C).
            labels (Tensor): Class indices of shape (N,).

        Returns:
            Tensor: The scalar loss, averaged over the samples, times ``loss_weight``.
        """
        return self.loss_weight * self.compute(logits, labels.reshape(-1).long())

    @abstractmethod
    def compute(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Compute the unweighted loss averaged over the samples.

        Args:
            logits (Tensor): Unnormalised class scores of shape (N, C).
            labels (Tensor): Class indices of shape (N,), of dtype long.
        """
