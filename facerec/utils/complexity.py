"""Parameter and multiply-add counts of a model.

FLOPs are counted by :class:`torch.utils.flop_counter.FlopCounterMode` on one
forward pass: convolutions and matrix products (``Conv2d``, ``Linear``,
``matmul`` and friends) at 2 FLOPs per multiply-add. Bias additions,
normalisation, activations, pooling and element-wise additions are not
counted; they are a small share of a CNN's cost. MACs (multiply-accumulates)
are FLOPs / 2, the figure usually quoted for face backbones.
"""

from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    """Count the parameters of a model.

    Args:
        model (nn.Module): The model.
        trainable_only (bool): Count only parameters that require gradients.
            Defaults to False.

    Returns:
        int: The number of parameters (shared parameters counted once).
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def count_flops(model: nn.Module, inputs: Union[torch.Tensor, Sequence[torch.Tensor]]) -> int:
    """Count the FLOPs of one forward pass (2 per multiply-add).

    The model runs once under ``torch.no_grad()`` in its current train/eval
    mode; put it in eval mode first to measure inference.

    Args:
        model (nn.Module): The model.
        inputs (Tensor or sequence[Tensor]): The forward arguments.

    Returns:
        int: FLOPs of the convolutions and matrix products.
    """
    args = (inputs,) if isinstance(inputs, torch.Tensor) else tuple(inputs)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(*args)
    return int(counter.get_total_flops())


def count_macs(model: nn.Module, inputs: Union[torch.Tensor, Sequence[torch.Tensor]]) -> int:
    """Count the multiply-adds of one forward pass (FLOPs / 2).

    Args:
        model (nn.Module): The model.
        inputs (Tensor or sequence[Tensor]): The forward arguments.

    Returns:
        int: MACs of the convolutions and matrix products.
    """
    return count_flops(model, inputs) // 2


def get_model_complexity(
    model: nn.Module,
    input_shape: Sequence[int] = (3, 112, 112),
    device: Optional[Union[str, torch.device]] = None,
) -> Dict[str, int]:
    """Parameters, FLOPs and MACs of a model on one input of ``input_shape``.

    The model is switched to eval mode for the measurement and back to its
    previous mode afterwards.

    Args:
        model (nn.Module): The model.
        input_shape (sequence[int]): Shape of one sample, without the batch
            dimension. Defaults to (3, 112, 112).
        device (str or torch.device, optional): Device of the dummy input.
            Defaults to the device of the model's first parameter, or CPU.

    Returns:
        dict: ``params``, ``flops`` and ``macs`` for a batch of one.
    """
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else torch.device('cpu')
    training = model.training
    model.eval()
    try:
        flops = count_flops(model, torch.zeros(1, *input_shape, device=device))
    finally:
        model.train(training)
    return dict(params=count_params(model), flops=flops, macs=flops // 2)


def format_count(value: float, unit: str = '') -> str:
    """Format a count with a G/M/K suffix, e.g. ``4.09G``.

    Args:
        value (float): The count.
        unit (str): Appended after the suffix. Defaults to ''.

    Returns:
        str: The formatted count.
    """
    for scale, suffix in ((1e9, 'G'), (1e6, 'M'), (1e3, 'K')):
        if abs(value) >= scale:
            return f'{value / scale:.2f}{suffix}{unit}'
    return f'{value:g}{unit}'
