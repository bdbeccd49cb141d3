"""MobileFaceNet: a light inverted residual backbone producing face embeddings.

Reference: Chen et al., "MobileFaceNets: Efficient CNNs for Accurate Real-Time
Face Verification on Mobile Devices", 2018. The optional squeeze-excitation
blocks and PReLU activations follow the SE + PReLU flavour of the network that
is common in face recognition training toolkits.
"""

import math
from functools import partial
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from facerec.registry import MODELS
from facerec.utils.checks import check_positive_int, check_positive_number, is_int

from .base_backbone import BaseFaceBackbone
from .utils import (
    ACTIVATIONS,
    ConvBNAct,
    SELayer,
    gdc_layers,
    make_divisible,
    make_stage,
)

DEFAULT_ARCH_SETTING: List[List[int]] = [
    # expansion t, channels c, repeats n, stride s
    [2, 64, 5, 2],
    [4, 128, 1, 2],
    [2, 128, 6, 1],
    [4, 128, 1, 2],
    [2, 128, 2, 1],
]


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
        se_act (str): Activation inside the SE layer. Defaults to ``'ReLU'``.
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
        se_act: str = 'ReLU',
    ) -> None:
        super().__init__()
        hidden = int(round(in_channels * expand_ratio))
        self.use_residual = stride == 1 and in_channels == out_channels
        self.expand = ConvBNAct(in_channels, hidden, 1, act=act)
        self.depthwise = ConvBNAct(
            hidden, hidden, 3, stride=stride, padding=1, groups=hidden, act=act
        )
        self.project = ConvBNAct(hidden, out_channels, 1)
        self.se = SELayer(out_channels, se_ratio, se_act) if use_se else nn.Identity()

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


def _check_arch_setting(arch_setting: Sequence[Sequence[int]]) -> List[List[int]]:
    checked = []
    if not isinstance(arch_setting, (list, tuple)) or len(arch_setting) == 0:
        raise ValueError(f'arch_setting must be a non-empty list, got {arch_setting!r}')
    for stage in arch_setting:
        if (
            not isinstance(stage, (list, tuple))
            or len(stage) != 4
            or any(not is_int(v) or v <= 0 for v in stage)
        ):
            raise ValueError(
                'each arch_setting entry must be four positive ints '
                f'[expansion, channels, repeats, stride], got {stage!r}'
            )
        checked.append([int(v) for v in stage])
    return checked


@MODELS.register_module()
class MobileFaceNet(BaseFaceBackbone):
    """MobileFaceNet backbone that maps aligned face crops to embeddings.

    Layout: a stride-2 3x3 stem convolution and a 3x3 depthwise convolution
    (optionally followed by a 1x1 pointwise convolution, ``stem_pointwise``),
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
        se_act (str): Activation inside the SE layers. Defaults to ``'ReLU'``;
            the reference toolkit's released recogniser uses ``'PReLU'`` with
            ``se_ratio=8``.
        input_norm (bool): Normalise the input with a batch norm of the 3
            colour channels before the stem, as the reference toolkit's
            recogniser does (its data then enter as raw 0-255 values).
            Defaults to False.
        stem_pointwise (bool): Follow the stem's depthwise convolution with a
            1x1 convolution + BN + activation of the same width, making the
            stem's second part a depthwise-separable convolution (as in
            foamliu/MobileFaceNet). Defaults to False.
        stem_act (str, optional): Activation of the stem's depthwise (and
            pointwise) convolutions, one of ``'PReLU'``, ``'ReLU'`` and
            ``'ReLU6'``; None uses ``act``. The first stem convolution always
            uses ``act``. foamliu/MobileFaceNet has ``act='ReLU6'`` and
            ``stem_act='ReLU'``. Defaults to None.
        init_cfg (dict or list[dict], optional): See :class:`BaseFaceBackbone`.
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
        se_act: str = 'ReLU',
        input_norm: bool = False,
        stem_pointwise: bool = False,
        stem_act: Optional[str] = None,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        super().__init__(embedding_size, input_size, init_cfg=init_cfg)
        self.widen_factor = check_positive_number('widen_factor', widen_factor)
        self.se_ratio = check_positive_int('se_ratio', se_ratio)
        last_channels = check_positive_int('last_channels', last_channels)
        stem_act = act if stem_act is None else stem_act
        for name, value in (('act', act), ('se_act', se_act), ('stem_act', stem_act)):
            if value not in ACTIVATIONS:
                raise ValueError(f'{name} must be one of {ACTIVATIONS}, got {value!r}')
        self.arch_setting = _check_arch_setting(
            DEFAULT_ARCH_SETTING if arch_setting is None else arch_setting
        )
        self.use_se = bool(use_se)
        self.act = act
        self.se_act = se_act
        self.stem_act = stem_act
        self.stem_pointwise = bool(stem_pointwise)

        self.input_norm = nn.BatchNorm2d(3) if input_norm else nn.Identity()
        stem_channels = make_divisible(64 * self.widen_factor, 8)
        stem = [
            ConvBNAct(3, stem_channels, 3, stride=2, padding=1, act=act),
            ConvBNAct(
                stem_channels, stem_channels, 3, padding=1, groups=stem_channels, act=stem_act
            ),
        ]
        if self.stem_pointwise:
            stem.append(ConvBNAct(stem_channels, stem_channels, 1, act=stem_act))
        self.stem = nn.Sequential(*stem)

        in_channels = stem_channels
        stages = []
        for expand_ratio, channels, repeats, stride in self.arch_setting:
            out_channels = make_divisible(channels * self.widen_factor, 8)
            block = partial(
                InvertedResidual,
                out_channels=out_channels,
                expand_ratio=expand_ratio,
                act=act,
                use_se=self.use_se,
                se_ratio=self.se_ratio,
                se_act=se_act,
            )
            stages.append(make_stage(block, in_channels, out_channels, repeats, stride))
            in_channels = out_channels
        self.stages = nn.Sequential(*stages)

        total_stride = 2 * math.prod(stage[3] for stage in self.arch_setting)
        if any(v % total_stride != 0 for v in self.input_size):
            raise ValueError(
                f'input_size {self.input_size} must be divisible by the total stride '
                f'{total_stride} of arch_setting'
            )
        gdc_kernel = (self.input_size[0] // total_stride, self.input_size[1] // total_stride)

        self.last_channels = make_divisible(last_channels * max(1.0, self.widen_factor), 8)
        self.conv_last = ConvBNAct(in_channels, self.last_channels, 1, act=act)
        self.gdc, self.embedding = gdc_layers(self.last_channels, self.embedding_size, gdc_kernel)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Run the stem, the stages, the last convolution and the GDC head."""
        x = self.stem(self.input_norm(x))
        x = self.stages(x)
        x = self.conv_last(x)
        x = self.gdc(x)
        x = self.embedding(x)
        return x.flatten(1)
