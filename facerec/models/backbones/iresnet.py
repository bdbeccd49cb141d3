"""IResNet: the improved residual networks of ArcFace (IR and IR-SE).

Reference: Deng et al., "ArcFace: Additive Angular Margin Loss for Deep Face
Recognition", 2019 (the "improved residual unit" and the "E" output layer),
and Hu et al., "Squeeze-and-Excitation Networks", 2018 for IR-SE.
"""

import contextlib
from functools import partial
from typing import List, Optional, Tuple, Union

import torch
import torch.nn as nn

from facerec.registry import MODELS
from facerec.utils.checks import check_positive_int, check_probability

from .base_backbone import BaseFaceBackbone
from .utils import (
    ConvBNAct,
    FaceOutputLayer,
    SELayer,
    make_shortcut,
    make_stage,
)

IRESNET_LAYERS = {
    18: (2, 2, 2, 2),
    34: (3, 4, 6, 3),
    50: (3, 4, 14, 3),
    100: (3, 13, 30, 3),
}


class IRBlock(nn.Module):
    """The improved residual unit of ArcFace, with an optional SE layer.

    BN - conv3x3 - BN - PReLU - conv3x3(stride) - BN [- SE], added to the
    shortcut (identity, or conv1x1(stride) + BN when the shape changes). There
    is no activation after the addition.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the second convolution and of the shortcut.
        se (bool): Whether to add a squeeze-excitation layer.
        se_ratio (int): Reduction ratio of the SE layer.
    """

    def __init__(
        self, in_channels: int, out_channels: int, stride: int, se: bool, se_ratio: int
    ) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.act = nn.PReLU(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.last_bn = nn.BatchNorm2d(out_channels)
        self.se = SELayer(out_channels, se_ratio) if se else nn.Identity()
        self.shortcut = make_shortcut(in_channels, out_channels, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the block.

        Args:
            x (Tensor): Input of shape (N, C_in, H, W).

        Returns:
            Tensor: Output of shape (N, C_out, H / stride, W / stride).
        """
        out = self.act(self.bn2(self.conv1(self.bn1(x))))
        out = self.se(self.last_bn(self.conv2(out)))
        return out + self.shortcut(x)


@MODELS.register_module()
class IResNet(BaseFaceBackbone):
    """IResNet (IR / IR-SE) backbone producing face embeddings.

    Layout: a stride-1 3x3 convolution to 64 channels + BN + PReLU, four
    stages of :class:`IRBlock` with 64, 128, 256 and 512 channels (the first
    block of each has stride 2 and a projection shortcut), and the output
    layer BN2d - dropout - flatten - Linear(512 * H/16 * W/16, embedding_size)
    - BN1d. Blocks per stage: 18: (2, 2, 2, 2), 34: (3, 4, 6, 3),
    50: (3, 4, 14, 3), 100: (3, 13, 30, 3).

    Args:
        depth (int): 18, 34, 50 or 100. Defaults to 50.
        se (bool): Add squeeze-excitation to every block (IR-SE).
            Defaults to False.
        embedding_size (int): Size of the output embedding. Defaults to 512.
        dropout (float): Dropout probability of the output layer.
            Defaults to 0.0.
        fp16 (bool): Run the stem, the stages and the output BN2d under
            autocast (float16 on CUDA, bfloat16 on CPU); their output is cast
            back to float32 before the linear layer and BN1d, which run outside
            that autocast region. Defaults to False.
        input_size (int or tuple[int, int]): See :class:`BaseFaceBackbone`. Defaults to 112.
        se_ratio (int): Reduction ratio of the SE layers. Defaults to 16.
        zero_init_residual (bool): Start the last BN of every residual branch
            at zero in the default initialisation. Defaults to False.
        init_cfg (dict or list[dict], optional): See :class:`BaseFaceBackbone`.
    """

    def __init__(
        self,
        depth: int = 50,
        se: bool = False,
        embedding_size: int = 512,
        dropout: float = 0.0,
        fp16: bool = False,
        input_size: Union[int, Tuple[int, int]] = 112,
        se_ratio: int = 16,
        zero_init_residual: bool = False,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        super().__init__(embedding_size, input_size, init_cfg=init_cfg)
        if depth not in IRESNET_LAYERS:
            raise ValueError(f'depth must be one of {sorted(IRESNET_LAYERS)}, got {depth!r}')
        self.depth = int(depth)
        self.se_ratio = check_positive_int('se_ratio', se_ratio)
        self.dropout = check_probability('dropout', dropout, allow_one=False)
        self.se = bool(se)
        self.fp16 = bool(fp16)
        self.zero_init_residual = bool(zero_init_residual)

        self.stem = ConvBNAct(3, 64, 3, padding=1, act='PReLU')
        in_channels = 64
        stages = []
        for channels, blocks in zip((64, 128, 256, 512), IRESNET_LAYERS[self.depth]):
            block = partial(IRBlock, out_channels=channels, se=self.se, se_ratio=self.se_ratio)
            stages.append(make_stage(block, in_channels, channels, blocks, stride=2))
            in_channels = channels
        self.stages = nn.Sequential(*stages)
        self.feature_size = (self.input_size[0] // 16, self.input_size[1] // 16)
        self.output_layer = FaceOutputLayer(
            in_channels, self.feature_size, self.embedding_size, self.dropout
        )

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Run the stem, the stages and the output layer, under autocast with ``fp16``."""
        bn2d, dropout, flatten, linear, bn1d = self.output_layer
        if self.fp16:
            dtype = torch.float16 if x.device.type == 'cuda' else torch.bfloat16
            context = torch.autocast(device_type=x.device.type, dtype=dtype)
        else:
            context = contextlib.nullcontext()
        with context:
            x = self.stages(self.stem(x))
            x = flatten(dropout(bn2d(x)))
        if self.fp16:
            x = x.float()
        return bn1d(linear(x))
