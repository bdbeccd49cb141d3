"""Bottleneck ResNet, SE-ResNet and SE-ResNeXt adapted to face recognition.

References: He et al., "Deep Residual Learning for Image Recognition", 2016;
Hu et al., "Squeeze-and-Excitation Networks", 2018; Xie et al., "Aggregated
Residual Transformations for Deep Neural Networks", 2017.

The face adaptation keeps the bottleneck stages of the ImageNet networks and
changes the two ends. The stem does not shrink a 112x112 crop fourfold: the
default ``'conv3x3'`` stem is a stride-1 3x3 convolution and every stage,
the first included, halves the resolution. The output layer is the one of face
ResNets: batch norm, dropout, flatten, a fully connected layer over the whole
1/16 feature map (7x7 at 112x112) and a 1-d batch norm, so the embedding keeps
the spatial layout of the face instead of averaging it away.
"""

from functools import partial
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from facerec.registry import MODELS
from facerec.utils.checks import check_positive_int, check_probability

from .base_backbone import BaseFaceBackbone
from .utils import (
    ConvBNAct,
    FaceOutputLayer,
    SELayer,
    build_activation,
    make_shortcut,
    make_stage,
)

_STEMS = ('conv3x3', 'conv7x7')
_RESNET_ACTIVATIONS = ('PReLU', 'ReLU')

RESNET_LAYERS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}


class Bottleneck(nn.Module):
    """Bottleneck residual block with optional grouped convolution and SE.

    conv1x1 - BN - act - conv3x3(stride, groups) - BN - act - conv1x1 - BN
    [- SE], added to the shortcut (identity, or conv1x1(stride) + BN when the
    shape changes), then the activation.

    Args:
        in_channels (int): Input channels.
        planes (int): Base width of the block; the output has ``4 * planes``
            channels.
        stride (int): Stride of the 3x3 convolution.
        groups (int): Groups of the 3x3 convolution.
        width_per_group (int): Channels per group at ``planes == 64``.
        se (bool): Whether to add a squeeze-excitation layer.
        se_ratio (int): Reduction ratio of the SE layer.
        act (str): Activation, ``'PReLU'`` or ``'ReLU'``.
    """

    expansion = 4

    def __init__(
        self,
        in_channels: int,
        planes: int,
        stride: int,
        groups: int,
        width_per_group: int,
        se: bool,
        se_ratio: int,
        act: str,
    ) -> None:
        super().__init__()
        width = int(planes * width_per_group / 64) * groups
        out_channels = planes * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.act1 = build_activation(act, width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.act2 = build_activation(act, width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.last_bn = nn.BatchNorm2d(out_channels)
        self.se = SELayer(out_channels, se_ratio) if se else nn.Identity()
        self.shortcut = make_shortcut(in_channels, out_channels, stride)
        self.act3 = build_activation(act, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the block.

        Args:
            x (Tensor): Input of shape (N, C_in, H, W).

        Returns:
            Tensor: Output of shape (N, 4 * planes, H / stride, W / stride).
        """
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.act2(self.bn2(self.conv2(out)))
        out = self.se(self.last_bn(self.conv3(out)))
        return self.act3(out + self.shortcut(x))


@MODELS.register_module()
class ResNet(BaseFaceBackbone):
    """Bottleneck ResNet (optionally SE-ResNet or ResNeXt) producing face embeddings.

    Layout: a stem, four bottleneck stages of 64, 128, 256 and 512 base
    channels (``RESNET_LAYERS[depth]`` blocks each, output 4x wider), an
    optional 1x1 convolution + BN + activation reducing the 2048 output
    channels to ``reduce_channels``, and the face output layer (BN2d, dropout,
    flatten, linear over the whole 1/16 map, BN1d).

    Stems: ``'conv3x3'`` (default, the face stem) is a stride-1 3x3 convolution
    to 64 channels + BN + activation and the four stages have strides 2, 2, 2,
    2; ``'conv7x7'`` is the ImageNet stem (stride-2 7x7 convolution, BN,
    activation, stride-2 3x3 max pooling) with stage strides 1, 2, 2, 1 (the
    last stage keeps its resolution). Both give a 7x7 map at 112x112 input
    (8x8 at 128x128).

    With the defaults (``reduce_channels=512``) the linear layer is
    25088 x 512 at 112x112, as in IR-50; without the reduction it would be
    100352 x 512 (51M weights). ``groups=32, width_per_group=4`` gives
    ResNeXt-32x4d, ``se=True`` adds an SE layer (reduction ``se_ratio``) to the
    residual branch of every block.

    Args:
        depth (int): 50, 101 or 152. Defaults to 50.
        se (bool): Add squeeze-excitation to every block. Defaults to False.
        groups (int): Groups of the 3x3 convolutions. Defaults to 1.
        width_per_group (int): Channels per group in the first stage.
            Defaults to 64.
        embedding_size (int): Size of the output embedding. Defaults to 512.
        dropout (float): Dropout probability of the output layer.
            Defaults to 0.0.
        stem (str): ``'conv3x3'`` or ``'conv7x7'``, see above.
            Defaults to ``'conv3x3'``.
        act (str): Activation, ``'PReLU'`` or ``'ReLU'``. Defaults to ``'PReLU'``.
        input_size (int or tuple[int, int]): See :class:`BaseFaceBackbone`. Defaults to 112.
        reduce_channels (int, optional): Channels of the 1x1 reduction before
            the output layer, or None for no reduction. Defaults to 512.
        se_ratio (int): Reduction ratio of the SE layers. Defaults to 16.
        zero_init_residual (bool): Start the last BN of every residual branch
            at zero in the default initialisation. Defaults to False.
        init_cfg (dict or list[dict], optional): See :class:`BaseFaceBackbone`.
    """

    def __init__(
        self,
        depth: int = 50,
        se: bool = False,
        groups: int = 1,
        width_per_group: int = 64,
        embedding_size: int = 512,
        dropout: float = 0.0,
        stem: str = 'conv3x3',
        act: str = 'PReLU',
        input_size: Union[int, Tuple[int, int]] = 112,
        reduce_channels: Optional[int] = 512,
        se_ratio: int = 16,
        zero_init_residual: bool = False,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        super().__init__(embedding_size, input_size, init_cfg=init_cfg)
        if depth not in RESNET_LAYERS:
            raise ValueError(f'depth must be one of {sorted(RESNET_LAYERS)}, got {depth!r}')
        if stem not in _STEMS:
            raise ValueError(f'stem must be one of {_STEMS}, got {stem!r}')
        if act not in _RESNET_ACTIVATIONS:
            raise ValueError(f'act must be one of {_RESNET_ACTIVATIONS}, got {act!r}')
        self.groups = check_positive_int('groups', groups)
        self.width_per_group = check_positive_int('width_per_group', width_per_group)
        self.se_ratio = check_positive_int('se_ratio', se_ratio)
        if reduce_channels is not None:
            reduce_channels = check_positive_int('reduce_channels', reduce_channels)
        self.dropout = check_probability('dropout', dropout, allow_one=False)
        self.depth = int(depth)
        self.se = bool(se)
        self.stem_type = stem
        self.act = act
        self.zero_init_residual = bool(zero_init_residual)

        if stem == 'conv3x3':
            self.stem: nn.Module = ConvBNAct(3, 64, 3, padding=1, act=act)
            strides: Sequence[int] = (2, 2, 2, 2)
        else:
            self.stem = nn.Sequential(
                *ConvBNAct(3, 64, 7, stride=2, padding=3, act=act),
                nn.MaxPool2d(3, stride=2, padding=1),
            )
            strides = (1, 2, 2, 1)

        in_channels = 64
        stages = []
        for planes, blocks, stride in zip((64, 128, 256, 512), RESNET_LAYERS[self.depth], strides):
            block = partial(
                Bottleneck,
                planes=planes,
                groups=self.groups,
                width_per_group=self.width_per_group,
                se=self.se,
                se_ratio=self.se_ratio,
                act=act,
            )
            out_channels = planes * Bottleneck.expansion
            stages.append(make_stage(block, in_channels, out_channels, blocks, stride))
            in_channels = out_channels
        self.stages = nn.Sequential(*stages)

        if reduce_channels is None:
            self.reduce: nn.Module = nn.Identity()
        else:
            self.reduce = ConvBNAct(in_channels, reduce_channels, 1, act=act)
            in_channels = reduce_channels
        self.out_channels = in_channels
        self.feature_size = (self.input_size[0] // 16, self.input_size[1] // 16)
        self.output_layer = FaceOutputLayer(
            in_channels, self.feature_size, self.embedding_size, self.dropout
        )

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Run the stem, the stages, the channel reduction and the output layer."""
        x = self.stem(x)
        x = self.stages(x)
        x = self.reduce(x)
        return self.output_layer(x)


@MODELS.register_module()
class SEResNet(ResNet):
    """:class:`ResNet` with squeeze-excitation in every block (``se=True``).

    Args:
        depth (int): 50, 101 or 152. Defaults to 50.
        **kwargs: Other :class:`ResNet` arguments, except ``se``.
    """

    def __init__(self, depth: int = 50, **kwargs) -> None:
        if 'se' in kwargs:
            raise ValueError('se is always True for SEResNet; use ResNet to choose it')
        super().__init__(depth=depth, se=True, **kwargs)


@MODELS.register_module()
class SEResNeXt(ResNet):
    """SE-ResNeXt: :class:`ResNet` with SE and 32 groups of width 4 by default.

    Args:
        depth (int): 50, 101 or 152. Defaults to 50.
        groups (int): Groups of the 3x3 convolutions. Defaults to 32.
        width_per_group (int): Channels per group in the first stage.
            Defaults to 4.
        **kwargs: Other :class:`ResNet` arguments, except ``se``.
    """

    def __init__(
        self, depth: int = 50, groups: int = 32, width_per_group: int = 4, **kwargs
    ) -> None:
        if 'se' in kwargs:
            raise ValueError('se is always True for SEResNeXt; use ResNet to choose it')
        super().__init__(
            depth=depth, se=True, groups=groups, width_per_group=width_per_group, **kwargs
        )
