"""Layers, argument checks and initialisation shared by the face backbones."""

from typing import Callable, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from facerec.utils.checks import check_size

ACTIVATIONS = ('PReLU', 'ReLU', 'ReLU6')
_LINEAR_INITS = ('normal', 'kaiming')


def check_input_size(input_size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    """Validate the input size of a backbone of total stride 16.

    Args:
        input_size (int or sequence[int]): A square side, or a (height, width) pair.

    Returns:
        tuple[int, int]: The size as (height, width).

    Raises:
        ValueError: If the size is malformed, not positive or not divisible by 16.
    """
    return check_size('input_size', input_size, 16, hint='e.g. 112 or 128')


def check_input_shape(
    x: torch.Tensor, input_size: Tuple[int, int], name: str, check_channels: bool = False
) -> None:
    """Raise a ValueError unless ``x`` is a batch of images of ``input_size``.

    Args:
        x (Tensor): The input batch.
        input_size (tuple[int, int]): The expected (height, width).
        name (str): The model name used in the error message.
        check_channels (bool): Also require 3 channels. Defaults to False.
    """
    if (
        x.dim() != 4
        or (check_channels and x.shape[1] != 3)
        or tuple(x.shape[-2:]) != tuple(input_size)
    ):
        raise ValueError(
            f'{name} expects input of shape (N, 3, {input_size[0]}, {input_size[1]}), '
            f'got {tuple(x.shape)}'
        )


def make_divisible(
    value: float, divisor: int = 8, min_value: Optional[int] = None, min_ratio: float = 0.9
) -> int:
    """Round a channel count to the nearest multiple of ``divisor``.

    The result never drops below ``min_ratio`` times the requested value.

    Args:
        value (float): The requested number of channels.
        divisor (int): The number the result must be divisible by. Defaults to 8.
        min_value (int, optional): The smallest allowed result. Defaults to ``divisor``.
        min_ratio (float): The smallest allowed ratio of result to ``value``.
            Defaults to 0.9.

    Returns:
        int: The rounded channel count.
    """
    if min_value is None:
        min_value = divisor
    new_value = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new_value < min_ratio * value:
        new_value += divisor
    return new_value


def build_activation(act: str, channels: int) -> nn.Module:
    """Build an activation layer by name.

    Args:
        act (str): One of ``'PReLU'``, ``'ReLU'`` and ``'ReLU6'``.
        channels (int): The number of channels, used by the per-channel PReLU.

    Returns:
        nn.Module: The activation layer.
    """
    if act == 'PReLU':
        return nn.PReLU(channels)
    if act == 'ReLU':
        return nn.ReLU(inplace=True)
    if act == 'ReLU6':
        return nn.ReLU6(inplace=True)
    raise ValueError(f'act must be one of {ACTIVATIONS}, got {act!r}')


class ConvBNAct(nn.Sequential):
    """Convolution, batch norm and an optional activation.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int or tuple[int, int]): Convolution kernel size.
        stride (int): Convolution stride. Defaults to 1.
        padding (int or tuple[int, int]): Convolution padding. Defaults to 0.
        groups (int): Convolution groups. Defaults to 1.
        act (str, optional): Activation name, or None for a linear layer.
            Defaults to None.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Union[int, Tuple[int, int]],
        stride: int = 1,
        padding: Union[int, Tuple[int, int]] = 0,
        groups: int = 1,
        act: Optional[str] = None,
    ) -> None:
        layers: List[nn.Module] = [
            nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size,
                stride=stride,
                padding=padding,
                groups=groups,
                bias=False,
            ),
            nn.BatchNorm2d(out_channels),
        ]
        if act is not None:
            layers.append(build_activation(act, out_channels))
        super().__init__(*layers)


def make_shortcut(in_channels: int, out_channels: int, stride: int) -> nn.Module:
    """Build the shortcut of a residual block.

    Args:
        in_channels (int): Input channels of the block.
        out_channels (int): Output channels of the block.
        stride (int): Stride of the block.

    Returns:
        nn.Module: The identity when the shape is kept, otherwise a strided
        1x1 convolution + BN.
    """
    if stride != 1 or in_channels != out_channels:
        return ConvBNAct(in_channels, out_channels, 1, stride=stride)
    return nn.Identity()


def make_stage(
    build_block: Callable[..., nn.Module],
    in_channels: int,
    out_channels: int,
    num_blocks: int,
    stride: int,
) -> nn.Sequential:
    """Stack the blocks of one stage; only the first one has ``stride``.

    Args:
        build_block (callable): Called as ``build_block(in_channels, stride=stride)``
            for each block; the blocks it builds output ``out_channels``.
        in_channels (int): Input channels of the stage.
        out_channels (int): Output channels of every block.
        num_blocks (int): Number of blocks.
        stride (int): Stride of the first block; the others have stride 1.

    Returns:
        nn.Sequential: The stage.
    """
    blocks = []
    for i in range(num_blocks):
        blocks.append(build_block(in_channels, stride=stride if i == 0 else 1))
        in_channels = out_channels
    return nn.Sequential(*blocks)


class SELayer(nn.Module):
    """Squeeze-and-excitation channel attention.

    Args:
        channels (int): Input and output channels.
        ratio (int): Channel reduction ratio of the bottleneck. Defaults to 4.
        act (str): Activation of the bottleneck, see :func:`build_activation`.
            Defaults to ``'ReLU'``.
    """

    def __init__(self, channels: int, ratio: int = 4, act: str = 'ReLU') -> None:
        super().__init__()
        hidden = make_divisible(channels / ratio, 8)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.act = build_activation(act, hidden)
        self.fc2 = nn.Conv2d(hidden, channels, 1)
        self.gate = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Rescale the channels of ``x``.

        Args:
            x (Tensor): Input of shape (N, C, H, W).

        Returns:
            Tensor: Output of the same shape.
        """
        weight = self.gate(self.fc2(self.act(self.fc1(self.pool(x)))))
        return x * weight


def gdc_layers(
    in_channels: int, embedding_size: int, kernel_size: Tuple[int, int]
) -> Tuple[ConvBNAct, ConvBNAct]:
    """Build the two layers of a global depthwise convolution (GDC) head.

    Args:
        in_channels (int): Channels of the feature map.
        embedding_size (int): Size of the output embedding.
        kernel_size (tuple[int, int]): (height, width) of the feature map.

    Returns:
        tuple[ConvBNAct, ConvBNAct]: The depthwise convolution whose kernel
        covers the whole feature map + BN, and the linear 1x1 convolution to
        the embedding + BN.
    """
    gdc = ConvBNAct(in_channels, in_channels, kernel_size, groups=in_channels)
    embedding = ConvBNAct(in_channels, embedding_size, 1)
    return gdc, embedding


class GDCEmbedding(nn.Module):
    """Global depthwise convolution embedding head.

    A depthwise convolution whose kernel covers the whole feature map + BN,
    then a linear 1x1 convolution to the embedding + BN, flattened.

    Args:
        in_channels (int): Channels of the feature map.
        embedding_size (int): Size of the output embedding.
        kernel_size (tuple[int, int]): (height, width) of the feature map.
    """

    def __init__(self, in_channels: int, embedding_size: int, kernel_size: Tuple[int, int]) -> None:
        super().__init__()
        self.gdc, self.embedding = gdc_layers(in_channels, embedding_size, kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Embed a feature map.

        Args:
            x (Tensor): Features of shape (N, C, H, W) with (H, W) the kernel size.

        Returns:
            Tensor: Embeddings of shape (N, embedding_size).
        """
        return self.embedding(self.gdc(x)).flatten(1)


class FaceOutputLayer(nn.Sequential):
    """The output layer of face ResNets: BN2d, dropout, flatten, linear, BN1d.

    Args:
        in_channels (int): Channels of the last feature map.
        feature_size (tuple[int, int]): (height, width) of the last feature map.
        embedding_size (int): Size of the output embedding.
        dropout (float): Dropout probability before the linear layer.
    """

    def __init__(
        self,
        in_channels: int,
        feature_size: Tuple[int, int],
        embedding_size: int,
        dropout: float,
    ) -> None:
        super().__init__(
            nn.BatchNorm2d(in_channels),
            nn.Dropout(dropout),
            nn.Flatten(1),
            nn.Linear(in_channels * feature_size[0] * feature_size[1], embedding_size),
            nn.BatchNorm1d(embedding_size),
        )


def init_face_weights(
    module: nn.Module, zero_init_residual: bool = False, linear_init: str = 'normal'
) -> None:
    """Default initialisation of the face models of this package.

    Convolutions get Kaiming normal weights (fan_out), linear layers normal
    weights with std 0.01 (or Kaiming normal weights, fan_in, with
    ``linear_init='kaiming'``), biases are zero, and batch norms have unit
    weights and zero biases. With ``zero_init_residual`` the last batch norm of
    every residual branch (a module's ``last_bn``) starts at zero, so each
    block starts as its shortcut.

    Args:
        module (nn.Module): The model to initialise.
        zero_init_residual (bool): Zero the ``last_bn`` of the residual blocks.
            Defaults to False.
        linear_init (str): ``'normal'`` or ``'kaiming'``, see above.
            Defaults to ``'normal'``.
    """
    if linear_init not in _LINEAR_INITS:
        raise ValueError(f'linear_init must be one of {_LINEAR_INITS}, got {linear_init!r}')
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            if linear_init == 'kaiming':
                nn.init.kaiming_normal_(m.weight, mode='fan_in', nonlinearity='relu')
            else:
                nn.init.normal_(m.weight, std=0.01)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    if zero_init_residual:
        for m in module.modules():
            last_bn = getattr(m, 'last_bn', None)
            if isinstance(last_bn, nn.BatchNorm2d):
                nn.init.zeros_(last_bn.weight)
