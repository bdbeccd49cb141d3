"""MobileNetV2 with a global depthwise convolution (GDC) face embedding head.

Reference: Sandler et al., "MobileNetV2: Inverted Residuals and Linear
Bottlenecks", 2018, for the body; Chen et al., "MobileFaceNets", 2018, for the
GDC head.
"""

from functools import partial
from typing import List, Optional, Tuple, Union

import torch
import torch.nn as nn

from facerec.registry import MODELS
from facerec.utils.checks import check_positive_int, check_positive_number

from .base_backbone import BaseFaceBackbone
from .utils import (
    ConvBNAct,
    GDCEmbedding,
    make_divisible,
    make_stage,
)

MOBILENET_V2_SETTING: List[List[int]] = [
    # expansion t, channels c, repeats n, stride s (the ImageNet table)
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
]


class LinearBottleneck(nn.Module):
    """The MobileNetV2 inverted residual block (ReLU6, no SE).

    1x1 expansion + BN + ReLU6 (skipped when the expansion is 1), 3x3
    depthwise convolution + BN + ReLU6, linear 1x1 projection + BN, and the
    identity shortcut when the stride is 1 and the channels match.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the depthwise convolution.
        expand_ratio (int): Expansion factor of the hidden channels.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        hidden = int(round(in_channels * expand_ratio))
        self.use_residual = stride == 1 and in_channels == out_channels
        layers: List[nn.Module] = []
        if expand_ratio != 1:
            layers.append(ConvBNAct(in_channels, hidden, 1, act='ReLU6'))
        layers += [
            ConvBNAct(hidden, hidden, 3, stride=stride, padding=1, groups=hidden, act='ReLU6'),
            ConvBNAct(hidden, out_channels, 1),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the block.

        Args:
            x (Tensor): Input of shape (N, C_in, H, W).

        Returns:
            Tensor: Output of shape (N, C_out, H / stride, W / stride).
        """
        out = self.conv(x)
        if self.use_residual:
            out = out + x
        return out


@MODELS.register_module()
class MobileNetV2Face(BaseFaceBackbone):
    """Plain MobileNetV2 body with a GDC face embedding head.

    Layout: a stride-2 3x3 convolution to 32 channels, the inverted residual
    stages of the ImageNet table (:data:`MOBILENET_V2_SETTING`, ReLU6, no SE),
    a 1x1 convolution to 1280 channels + BN + ReLU6, and the
    :class:`GDCEmbedding` head. To end on a 7x7 map at 112x112 input (the
    ImageNet network ends on 7x7 at 224x224) the 160-channel stage has stride
    1 instead of 2, so the total stride is 16.

    Args:
        widen_factor (float): Channel multiplier of the body (channels rounded
            to multiples of 8); the 1280 channels of the last convolution are
            multiplied only when it is above 1. Defaults to 1.0.
        embedding_size (int): Size of the output embedding. Defaults to 256.
        input_size (int or tuple[int, int]): See :class:`BaseFaceBackbone`. Defaults to 112.
        last_channels (int): Channels of the last 1x1 convolution.
            Defaults to 1280.
        init_cfg (dict or list[dict], optional): See :class:`BaseFaceBackbone`.
    """

    def __init__(
        self,
        widen_factor: float = 1.0,
        embedding_size: int = 256,
        input_size: Union[int, Tuple[int, int]] = 112,
        last_channels: int = 1280,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        super().__init__(embedding_size, input_size, init_cfg=init_cfg)
        self.widen_factor = check_positive_number('widen_factor', widen_factor)
        last_channels = check_positive_int('last_channels', last_channels)

        stem_channels = make_divisible(32 * self.widen_factor, 8)
        self.stem = ConvBNAct(3, stem_channels, 3, stride=2, padding=1, act='ReLU6')
        in_channels = stem_channels
        stages = []
        for expand_ratio, channels, repeats, stride in MOBILENET_V2_SETTING:
            if channels == 160:
                stride = 1
            out_channels = make_divisible(channels * self.widen_factor, 8)
            block = partial(LinearBottleneck, out_channels=out_channels, expand_ratio=expand_ratio)
            stages.append(make_stage(block, in_channels, out_channels, repeats, stride))
            in_channels = out_channels
        self.stages = nn.Sequential(*stages)
        self.last_channels = make_divisible(last_channels * max(1.0, self.widen_factor), 8)
        self.conv_last = ConvBNAct(in_channels, self.last_channels, 1, act='ReLU6')
        self.feature_size = (self.input_size[0] // 16, self.input_size[1] // 16)
        self.head = GDCEmbedding(self.last_channels, self.embedding_size, self.feature_size)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Run the stem, the stages, the last convolution and the GDC head."""
        return self.head(self.conv_last(self.stages(self.stem(x))))
