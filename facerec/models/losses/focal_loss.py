"""Multi-class focal loss on softmax logits."""

import torch
import torch.nn.functional as F

from facerec.registry import MODELS
from facerec.utils.checks import check_number

from .softmax_loss import SoftmaxLoss


@MODELS.register_module()
class FocalLoss(SoftmaxLoss):
    """Softmax focal loss, the mean over samples of ``-(1 - p_t)^gamma * log(p_t)``.

    ``p_t`` is the softmax probability of the target class. With ``gamma=0``
    the loss equals the softmax cross entropy.

    Args:
        gamma (float): Focusing parameter, at least 0. Defaults to 2.0.
        loss_weight (float): Factor the loss is multiplied by. Defaults to 1.0.
    """

    def __init__(self, gamma: float = 2.0, loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        self.gamma = check_number('gamma', gamma, low=0)

    def compute(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The mean focal loss, see :meth:`SoftmaxLoss.compute`."""
        log_probs = F.log_softmax(logits, dim=1)
        # The clamp keeps the gradient of the modulating factor finite at p = 1.
        one_minus_p = (1.0 - log_probs.exp()).clamp(min=torch.finfo(log_probs.dtype).tiny)
        modulator = one_minus_p.pow(self.gamma)
        return F.nll_loss(modulator * log_probs, labels)
