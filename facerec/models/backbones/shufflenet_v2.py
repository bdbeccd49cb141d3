"""ShuffleNetV2 with a global depthwise convolution (GDC) face embedding head.

Reference: Ma et al., "ShuffleNet V2: Practical Guidelines for Efficient CNN
Architecture Design", 2018. The face adaptation (no max pooling after the
stem, PReLU, GDC head) is close to ShuffleFaceNet (Martinez-Diaz et al., 2019).
"""

from functools import partial
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn

from facerec.registry import MODELS

from .base_backbone import BaseFaceBackbone
from .utils import ConvBNAct, GDCEmbedding, make_stage

SHUFFLENET_V2_CHANNELS: Dict[float, Tuple[int, int, int, int]] = {
    # stage 2, stage 3, stage 4, last 1x1 convolution
    0.5: (48, 96, 192, 1024),
    1.0: (116, 232, 464, 1024),
    1.5: (176, 352, 704, 1024),
    2.0: (244, 488, 976, 2048),
}
SHUFFLENET_V2_REPEATS = (4, 8, 4)
_SHUFFLE_ACTIVATIONS = ('PReLU', 'ReLU')


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Interleave the channels of ``groups`` equal groups.

    Args:
        x (Tensor): Input of shape (N, C, H, W), C divisible by ``groups``.
        groups (int): Number of groups.

    Returns:
        Tensor: The input with channel ``g * (C // groups) + i`` moved to
        ``i * groups + g``.
    """
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ShuffleUnit(nn.Module):
    """The ShuffleNetV2 unit.

    Stride 1: half of the channels pass unchanged, the other half goes through
    conv1x1 - BN - act - depthwise conv3x3 - BN - conv1x1 - BN - act. Stride 2:
    both halves are computed from the whole input, one by depthwise conv3x3
    (stride 2) - BN - conv1x1 - BN - act, the other by the branch above with a
    stride-2 depthwise convolution. The halves are concatenated and shuffled.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels (even).
        stride (int): 1 or 2.
        act (str): Activation, ``'PReLU'`` or ``'ReLU'``.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, act: str) -> None:
        super().__init__()
        self.stride = stride
        branch = out_channels // 2
        if stride == 1 and in_channels != out_channels:
            raise ValueError('a stride-1 unit needs in_channels == out_channels')
        if stride > 1:
            self.branch1: nn.Module = nn.Sequential(
                ConvBNAct(
                    in_channels, in_channels, 3, stride=stride, padding=1, groups=in_channels
                ),
                ConvBNAct(in_channels, branch, 1, act=act),
            )
            branch_in = in_channels
        else:
            self.branch1 = nn.Identity()
            branch_in = branch
        self.branch2 = nn.Sequential(
            ConvBNAct(branch_in, branch, 1, act=act),
            ConvBNAct(branch, branch, 3, stride=stride, padding=1, groups=branch),
            ConvBNAct(branch, branch, 1, act=act),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the unit.

        Args:
            x (Tensor): Input of shape (N, C_in, H, W).

        Returns:
            Tensor: Output of shape (N, C_out, H / stride, W / stride).
        """
        if self.stride == 1:
            left, right = x.chunk(2, dim=1)
            out = torch.cat((left, self.branch2(right)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


@MODELS.register_module()
class ShuffleNetV2(BaseFaceBackbone):
    """ShuffleNetV2 body with a GDC face embedding head.

    Layout: a stride-2 3x3 convolution to 24 channels + BN + activation (the
    ImageNet network's max pooling is left out, so the total stride is 16 and
    a 112x112 input ends on a 7x7 map), three stages of 4, 8 and 4
    :class:`ShuffleUnit` (the first of each with stride 2), a 1x1 convolution
    + BN + activation, and the :class:`GDCEmbedding` head. Channels per
    ``widen_factor`` are those of the paper (:data:`SHUFFLENET_V2_CHANNELS`).

    Args:
        widen_factor (float): 0.5, 1.0, 1.5 or 2.0. Defaults to 1.0.
        embedding_size (int): Size of the output embedding. Defaults to 256.
        act (str): Activation, ``'PReLU'`` (as in ShuffleFaceNet) or
            ``'ReLU'`` (as in ShuffleNetV2). Defaults to ``'PReLU'``.
        input_size (int or tuple[int, int]): See :class:`BaseFaceBackbone`. Defaults to 112.
        init_cfg (dict or list[dict], optional): See :class:`BaseFaceBackbone`.
    """

    def __init__(
        self,
        widen_factor: float = 1.0,
        embedding_size: int = 256,
        act: str = 'PReLU',
        input_size: Union[int, Tuple[int, int]] = 112,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        super().__init__(embedding_size, input_size, init_cfg=init_cfg)
        if isinstance(widen_factor, bool) or widen_factor not in SHUFFLENET_V2_CHANNELS:
            raise ValueError(
                f'widen_factor must be one of {sorted(SHUFFLENET_V2_CHANNELS)}, '
                f'got {widen_factor!r}'
            )
        if act not in _SHUFFLE_ACTIVATIONS:
            raise ValueError(f'act must be one of {_SHUFFLE_ACTIVATIONS}, got {act!r}')
        self.widen_factor = float(widen_factor)
        self.act = act

        *stage_channels, self.last_channels = SHUFFLENET_V2_CHANNELS[self.widen_factor]
        self.stem = ConvBNAct(3, 24, 3, stride=2, padding=1, act=act)
        in_channels = 24
        stages = []
        for channels, repeats in zip(stage_channels, SHUFFLENET_V2_REPEATS):
            unit = partial(ShuffleUnit, out_channels=channels, act=act)
            stages.append(make_stage(unit, in_channels, channels, repeats, stride=2))
            in_channels = channels
        self.stages = nn.Sequential(*stages)
        self.conv_last = ConvBNAct(in_channels, self.last_channels, 1, act=act)
        self.feature_size = (self.input_size[0] // 16, self.input_size[1] // 16)
        self.head = GDCEmbedding(self.last_channels, self.embedding_size, self.feature_size)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Run the stem, the stages, the last convolution and the GDC head."""
        return self.head(self.conv_last(self.stages(self.stem(x))))
