"""Softmax cross entropy loss."""

import torch
import torch.nn.functional as F

from facerec.registry import MODELS
from facerec.utils.checks import check_probability

from .softmax_loss import SoftmaxLoss


@MODELS.register_module()
class CrossEntropyLoss(SoftmaxLoss):
    """Softmax cross entropy with optional label smoothing.

    Args:
        label_smoothing (float): Amount of label smoothing, in [0, 1].
            Defaults to 0.0.
        loss_weight (float): Factor the loss is multiplied by. Defaults to 1.0.
    """

    def __init__(self, label_smoothing: float = 0.0, loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        self.label_smoothing = check_probability('label_smoothing', label_smoothing)

    def compute(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The mean cross entropy, see :meth:`SoftmaxLoss.compute`."""
        return F.cross_entropy(logits, labels, label_smoothing=self.label_smoothing)
