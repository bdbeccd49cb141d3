"""MobileFaceNet: a light inverted residual backbone producing face embeddings.

Reference: Chen et al., "MobileFaceNets: Efficient CNNs for Accurate Real-Time
Face Verification on Mobile Devices", 2018. The optional squeeze-excitation
blocks and PReLU activations follow the SE + PReLU flavour of the network that
is common in face recognition training toolkits.
"""

import numbers
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from facerec.registry import MODELS

_ACTIVATIONS = ('PReLU', 'ReLU', 'ReLU6')

DEFAULT_ARCH_SETTING: List[List[int]] = [
    # expansion t, channels c, repeats n, stride s
    [2, 64, 5, 2],
    [4, 128, 1, 2],
    [2, 128, 6, 1],
    [4, 128, 1, 2],
    [2, 128, 2, 1],
]


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
    raise ValueError(f'act must be one of {_ACTIVATIONS}, got {act!r}')


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


class SELayer(nn.Module):
    """Squeeze-and-excitation channel attention.

    Args:
        channels (int): Input and output channels.
        ratio (int): Channel reduction ratio of the bottleneck. Defaults to 4.
    """

    def __init__(self, channels: int, ratio: int = 4) -> None:
        super().__init__()
        hidden = make_divisible(channels / ratio, 8)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.act = nn.ReLU(inplace=True)
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


class InvertedResidual(nn.Module):
    """MobileNetV2 inverted residual block with an optional SE layer.

    The block is a 1x1 expansion, a 3x3 depthwise convolution and a linear 1x1
    projection. The SE layer, when used, acts on the projected output, before
    the residual addition.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the depthwise convolution.
        expand_ratio (int): Expansion factor of the hidden channels.
        act (str): Activation name.
        use_se (bool): Whether to add a squeeze-excitation layer.
        se_ratio (int): Channel reduction ratio of the SE layer.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int,
        expand_ratio: int,
        act: str,
        use_se: bool,
        se_ratio: int,
    ) -> None:
        super().__init__()
        hidden = int(round(in_channels * expand_ratio))
        self.use_residual = stride == 1 and in_channels == out_channels
        self.expand = ConvBNAct(in_channels, hidden, 1, act=act)
        self.depthwise = ConvBNAct(
            hidden, hidden, 3, stride=stride, padding=1, groups=hidden, act=act
        )
        self.project = ConvBNAct(hidden, out_channels, 1)
        self.se = SELayer(out_channels, se_ratio) if use_se else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the block.

        Args:
            x (Tensor): Input of shape (N, C_in, H, W).

        Returns:
            Tensor: Output of shape (N, C_out, H / stride, W / stride).
        """
        out = self.se(self.project(self.depthwise(self.expand(x))))
        if self.use_residual:
            out = out + x
        return out


def _check_input_size(input_size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    if isinstance(input_size, numbers.Integral) and not isinstance(input_size, bool):
        size = (int(input_size), int(input_size))
    elif (
        isinstance(input_size, (tuple, list))
        and len(input_size) == 2
        and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in input_size)
    ):
        size = (int(input_size[0]), int(input_size[1]))
    else:
        raise ValueError(
            f'input_size must be an int or a (height, width) pair of ints, got {input_size!r}'
        )
    if any(v <= 0 or v % 16 != 0 for v in size):
        raise ValueError(
            f'input_size must be positive and divisible by 16 (e.g. 112 or 128), got {input_size!r}'
        )
    return size


def _check_arch_setting(arch_setting: Sequence[Sequence[int]]) -> List[List[int]]:
    checked = []
    if not isinstance(arch_setting, (list, tuple)) or len(arch_setting) == 0:
        raise ValueError(f'arch_setting must be a non-empty list, got {arch_setting!r}')
    for stage in arch_setting:
        if (
            not isinstance(stage, (list, tuple))
            or len(stage) != 4
            or any(not isinstance(v, numbers.Integral) or v <= 0 for v in stage)
        ):
            raise ValueError(
                'each arch_setting entry must be four positive ints '
                f'[expansion, channels, repeats, stride], got {stage!r}'
            )
        checked.append([int(v) for v in stage])
    return checked


@MODELS.register_module()
class MobileFaceNet(BaseModule):
    """MobileFaceNet backbone that maps aligned face crops to embeddings.

    Layout: a stride-2 3x3 stem convolution and a 3x3 depthwise convolution,
    the inverted residual stages of ``arch_setting``, a 1x1 convolution to
    ``last_channels``, a global depthwise convolution (GDC) whose kernel covers
    the whole 1/16 feature map, and a linear 1x1 convolution with batch norm to
    ``embedding_size``. The squeeze-excitation layers, when enabled, act on the
    output of each block's projection.

    Args:
        widen_factor (float): Channel multiplier of the stem and stages; the
            head's ``last_channels`` is multiplied too when it is above 1.
            Defaults to 1.0.
        embedding_size (int): Size of the output embedding. Defaults to 128.
        use_se (bool): Whether to add squeeze-excitation to every block.
            Defaults to True.
        act (str): Activation, one of ``'PReLU'``, ``'ReLU'`` and ``'ReLU6'``.
            Defaults to ``'PReLU'``.
        input_size (int or tuple[int, int]): Input image size, square or
            (height, width); every side must be divisible by 16. Defaults to 112.
        arch_setting (list[list[int]], optional): Stages as
            ``[expansion, channels, repeats, stride]``. Defaults to the
            MobileFaceNet paper's setting.
        se_ratio (int): Channel reduction ratio of the SE layers. Defaults to 4.
        last_channels (int): Channels of the 1x1 convolution before the GDC.
            Defaults to 512.
        init_cfg (dict or list[dict], optional): Initialisation config, for
            example ``dict(type='Pretrained', checkpoint=...)``. Defaults to None.
    """

    def __init__(
        self,
        widen_factor: float = 1.0,
        embedding_size: int = 128,
        use_se: bool = True,
        act: str = 'PReLU',
        input_size: Union[int, Tuple[int, int]] = 112,
        arch_setting: Optional[Sequence[Sequence[int]]] = None,
        se_ratio: int = 4,
        last_channels: int = 512,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if (
            not isinstance(widen_factor, numbers.Real)
            or isinstance(widen_factor, bool)
            or not widen_factor > 0
        ):
            raise ValueError(f'widen_factor must be a positive number, got {widen_factor!r}')
        for name, value in (
            ('embedding_size', embedding_size),
            ('se_ratio', se_ratio),
            ('last_channels', last_channels),
        ):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
                raise ValueError(f'{name} must be a positive int, got {value!r}')
        if act not in _ACTIVATIONS:
            raise ValueError(f'act must be one of {_ACTIVATIONS}, got {act!r}')
        self.input_size = _check_input_size(input_size)
        self.arch_setting = _check_arch_setting(
            DEFAULT_ARCH_SETTING if arch_setting is None else arch_setting
        )
        self.widen_factor = float(widen_factor)
        self.embedding_size = int(embedding_size)
        self.use_se = bool(use_se)
        self.act = act
        self.se_ratio = int(se_ratio)

        stem_channels = make_divisible(64 * self.widen_factor, 8)
        self.stem = nn.Sequential(
            ConvBNAct(3, stem_channels, 3, stride=2, padding=1, act=act),
            ConvBNAct(stem_channels, stem_channels, 3, padding=1, groups=stem_channels, act=act),
        )

        in_channels = stem_channels
        stages = []
        for expand_ratio, channels, repeats, stride in self.arch_setting:
            out_channels = make_divisible(channels * self.widen_factor, 8)
            blocks = []
            for i in range(repeats):
                blocks.append(
                    InvertedResidual(
                        in_channels,
                        out_channels,
                        stride=stride if i == 0 else 1,
                        expand_ratio=expand_ratio,
                        act=act,
                        use_se=self.use_se,
                        se_ratio=self.se_ratio,
                    )
                )
                in_channels = out_channels
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)

        total_stride = 2 * _prod(stage[3] for stage in self.arch_setting)
        if any(v % total_stride != 0 for v in self.input_size):
            raise ValueError(
                f'input_size {self.input_size} must be divisible by the total stride '
                f'{total_stride} of arch_setting'
            )
        gdc_kernel = (self.input_size[0] // total_stride, self.input_size[1] // total_stride)

        self.last_channels = make_divisible(last_channels * max(1.0, self.widen_factor), 8)
        self.conv_last = ConvBNAct(in_channels, self.last_channels, 1, act=act)
        self.gdc = ConvBNAct(
            self.last_channels, self.last_channels, gdc_kernel, groups=self.last_channels
        )
        self.embedding = ConvBNAct(self.last_channels, self.embedding_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Compute face embeddings.

        Args:
            x (Tensor): Images of shape (N, 3, H, W) with (H, W) equal to
                ``input_size``.

        Returns:
            Tensor: Embeddings of shape (N, embedding_size).
        """
        if x.dim() != 4 or tuple(x.shape[-2:]) != self.input_size:
            raise ValueError(
                f'MobileFaceNet expects input of shape (N, 3, {self.input_size[0]}, '
                f'{self.input_size[1]}), got {tuple(x.shape)}'
            )
        x = self.stem(x)
        x = self.stages(x)
        x = self.conv_last(x)
        x = self.gdc(x)
        x = self.embedding(x)
        return x.flatten(1)

    def init_weights(self) -> None:
        """Initialise the weights.

        When ``init_cfg`` is set (for example a ``Pretrained`` checkpoint) the
        mmengine initialisation is used. Otherwise convolutions get Kaiming
        normal weights (fan_out) and zero biases, and batch norms get unit
        weights and zero biases.
        """
        if self.init_cfg:
            super().init_weights()
            return
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        self._is_init = True


def _prod(values) -> int:
    result = 1
    for v in values:
        result *= v
    return result
