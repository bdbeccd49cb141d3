"""RMNet: a light residual network of depthwise separable bottlenecks with ELU.

In the spirit of the ResMobNet / RMNet face backbone of the OpenVINO training
extensions (ResMobNet: arXiv:1812.02465): a narrow trunk of many residual
blocks, each a 1x1 squeeze, a 3x3 depthwise convolution and a 1x1 expansion,
with ELU activations, over four stages of 1/2, 1/4, 1/8 and 1/16 resolution.
Here the downsampling shortcut averages 2x2 windows before its 1x1
projection, and the head is either a global depthwise convolution (default)
or global max pooling, followed by a linear 1x1 convolution to the embedding
and batch norm.
"""

from functools import partial
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from facerec.registry import MODELS
from facerec.utils.checks import check_int, check_positive_int, check_probability

from .base_backbone import BaseFaceBackbone
from .utils import (
    ConvBNAct,
    GDCEmbedding,
    make_stage,
)

_POOLINGS = ('gdc', 'max')


class RMBlock(nn.Module):
    """Residual depthwise separable bottleneck with ELU.

    conv1x1 (squeeze) - BN - ELU - depthwise conv3x3 (stride) - BN - ELU -
    conv1x1 (expand) - BN - dropout, added to the shortcut, then ELU. The
    shortcut is the identity, or, when the block downsamples or changes the
    channels, 2x2 average pooling (stride 2 only) - conv1x1 - BN.

    Args:
        in_channels (int): Input channels.
        bottleneck_channels (int): Channels of the squeezed branch.
        out_channels (int): Output channels.
        stride (int): 1 or 2.
        dropout (float): Dropout probability on the residual branch.
    """

    def __init__(
        self,
        in_channels: int,
        bottleneck_channels: int,
        out_channels: int,
        stride: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.branch = nn.Sequential(
            ConvBNAct(in_channels, bottleneck_channels, 1),
            nn.ELU(inplace=True),
            ConvBNAct(
                bottleneck_channels,
                bottleneck_channels,
                3,
                stride=stride,
                padding=1,
                groups=bottleneck_channels,
            ),
            nn.ELU(inplace=True),
            ConvBNAct(bottleneck_channels, out_channels, 1),
            nn.Dropout(dropout),
        )
        if stride != 1 or in_channels != out_channels:
            pool: List[nn.Module] = [nn.AvgPool2d(2, stride=2)] if stride != 1 else []
            self.shortcut: nn.Module = nn.Sequential(*pool, ConvBNAct(in_channels, out_channels, 1))
        else:
            self.shortcut = nn.Identity()
        self.act = nn.ELU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the block.

        Args:
            x (Tensor): Input of shape (N, C_in, H, W).

        Returns:
            Tensor: Output of shape (N, C_out, H / stride, W / stride).
        """
        return self.act(self.branch(x) + self.shortcut(x))


@MODELS.register_module()
class RMNet(BaseFaceBackbone):
    """RMNet backbone producing face embeddings.

    Layout: a stride-2 3x3 convolution to ``channels[0]`` + BN + ELU, then
    four stages. Stage ``i`` has ``blocks_per_stage[i]`` :class:`RMBlock` of
    ``channels[i]`` output and ``channels[i] // bottleneck_ratio`` squeezed
    channels; stages 2 to 4 start with one more, stride-2 block. With the
    defaults (blocks 4, 8, 10, 11 and channels 32, 64, 128, 256) the network
    has 36 blocks and ends on a 7x7 map at 112x112 input (8x8 at 128x128).
    The head is a global depthwise convolution + BN (``pooling='gdc'``) or
    global max pooling (``pooling='max'``), then a linear 1x1 convolution to
    ``embedding_size`` + BN.

    Args:
        embedding_size (int): Size of the output embedding. Defaults to 256.
        blocks_per_stage (sequence[int]): Stride-1 blocks of the four stages.
            Defaults to (4, 8, 10, 11).
        channels (sequence[int]): Output channels of the four stages; the stem
            has ``channels[0]``. Defaults to (32, 64, 128, 256).
        bottleneck_ratio (int): Squeeze ratio of the blocks. Defaults to 4.
        dropout (float): Dropout probability on the residual branches.
            Defaults to 0.0.
        pooling (str): ``'gdc'`` or ``'max'``. Defaults to ``'gdc'``.
        input_size (int or tuple[int, int]): See :class:`BaseFaceBackbone`. Defaults to 112.
        init_cfg (dict or list[dict], optional): See :class:`BaseFaceBackbone`.
    """

    def __init__(
        self,
        embedding_size: int = 256,
        blocks_per_stage: Sequence[int] = (4, 8, 10, 11),
        channels: Sequence[int] = (32, 64, 128, 256),
        bottleneck_ratio: int = 4,
        dropout: float = 0.0,
        pooling: str = 'gdc',
        input_size: Union[int, Tuple[int, int]] = 112,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        super().__init__(embedding_size, input_size, init_cfg=init_cfg)
        self.bottleneck_ratio = check_positive_int('bottleneck_ratio', bottleneck_ratio)
        self.dropout = check_probability('dropout', dropout, allow_one=False)
        if pooling not in _POOLINGS:
            raise ValueError(f'pooling must be one of {_POOLINGS}, got {pooling!r}')
        self.pooling = pooling
        for name, value in (('blocks_per_stage', blocks_per_stage), ('channels', channels)):
            if not isinstance(value, (list, tuple)) or len(value) != 4:
                raise ValueError(f'{name} must be a sequence of 4 ints, got {value!r}')
        self.blocks_per_stage = tuple(
            check_int('blocks_per_stage', v, low=0) for v in blocks_per_stage
        )
        self.channels = tuple(check_positive_int('channels', v) for v in channels)
        if any(c < self.bottleneck_ratio for c in self.channels):
            raise ValueError(
                f'channels {self.channels} must be at least bottleneck_ratio '
                f'{self.bottleneck_ratio}'
            )

        self.stem = nn.Sequential(
            ConvBNAct(3, self.channels[0], 3, stride=2, padding=1), nn.ELU(inplace=True)
        )
        in_channels = self.channels[0]
        stages = []
        for i, (blocks, out_channels) in enumerate(zip(self.blocks_per_stage, self.channels)):
            block = partial(
                RMBlock,
                bottleneck_channels=out_channels // self.bottleneck_ratio,
                out_channels=out_channels,
                dropout=self.dropout,
            )
            if i > 0:
                # Stages 2 to 4 open with one more block, which halves the resolution.
                stages.append(make_stage(block, in_channels, out_channels, blocks + 1, stride=2))
            else:
                stages.append(make_stage(block, in_channels, out_channels, blocks, stride=1))
            in_channels = out_channels
        self.stages = nn.Sequential(*stages)
        self.out_channels = in_channels
        self.feature_size = (self.input_size[0] // 16, self.input_size[1] // 16)
        if pooling == 'gdc':
            self.head: nn.Module = GDCEmbedding(in_channels, self.embedding_size, self.feature_size)
        else:
            self.head = nn.Sequential(
                nn.AdaptiveMaxPool2d(1),
                ConvBNAct(in_channels, self.embedding_size, 1),
                nn.Flatten(1),
            )

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Run the stem, the stages and the embedding head."""
        return self.head(self.stages(self.stem(x)))
