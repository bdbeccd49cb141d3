"""LandNet: a small convolutional regressor of facial landmarks.

The network follows the idea of the landmark regressor of the OpenVINO training_extensions face
toolkit: a plain stack of 3x3 convolutions with batch norm and PReLU, max pooling after each
stage, and a small head that regresses the coordinates of a few points on a low resolution face
crop (48x48 by default).
"""

from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from facerec.registry import MODELS
from facerec.utils.checks import check_positive_int, check_size, is_int

from ..backbones.utils import ConvBNAct, check_input_shape, init_face_weights

__all__ = ['LandNet']


def _check_size(input_size: Union[int, Sequence[int]], divisor: int) -> Tuple[int, int]:
    # Every side must be a positive multiple of the total stride ``divisor`` of the network.
    hint = 'the total stride of the network, e.g. 48 or 64'
    return check_size('input_size', input_size, divisor, hint=hint)


#: Architectures of :class:`LandNet`.
LANDNET_ARCHS = ('facerec', 'reference')


class PostNormConv(nn.Sequential):
    """Convolution with bias, PReLU, optional 2x2 max pooling, then batch norm.

    The block order of the reference toolkit's landmark network (the batch norm
    normalises the input of the next layer instead of the output of this one).

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        kernel_size: Convolution kernel size (no padding when it is not 3).
        groups: Convolution groups.
        pool: Add a 2x2 max pooling after the activation.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Union[int, Tuple[int, int]] = 3,
        groups: int = 1,
        pool: bool = False,
    ) -> None:
        padding = 1 if kernel_size == 3 else 0
        layers: List[nn.Module] = [
            nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding, groups=groups),
            nn.PReLU(out_channels),
        ]
        if pool:
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        layers.append(nn.BatchNorm2d(out_channels))
        super().__init__(*layers)


@MODELS.register_module()
class LandNet(BaseModule):
    """Regress ``num_points`` facial landmarks from a small face crop.

    Two architectures (``arch``):

    - ``'facerec'`` (default): ``len(channels)`` stages, stage ``i`` being ``num_convs[i]``
      blocks of 3x3 convolution + batch norm + PReLU with ``channels[i]`` outputs followed by
      a 2x2 max pooling, so the feature map is ``input_size / 2 ** len(channels)`` (3x3 for
      the default 48x48 input). The head is a global depthwise convolution (a per-channel
      learned weighting of the whole map) with batch norm, a fully connected layer of
      ``hidden_channels`` with PReLU and a fully connected layer to ``num_points * 2``
      values passed through a sigmoid. With the defaults the network has about 153k
      parameters.
    - ``'reference'``: the layout of the reference toolkit's released LandNet
      (landmarks-regression-retail-0009): a batch norm of the input colours, then
      :class:`PostNormConv` blocks (convolution with bias, PReLU, pooling, batch norm) of
      16, 32 and 64 channels each followed by 2x2 max pooling and of 64 and 128 channels
      without, a global depthwise :class:`PostNormConv` over the ``input_size / 8`` map,
      and a head of 256 (PReLU, batch norm) and 64 (PReLU) units before the output layer
      and the sigmoid. ``channels``, ``num_convs`` and ``hidden_channels`` describe the
      ``'facerec'`` layout only and must be left unset.

    The output coordinates are normalised to the input image: ``x / W`` and ``y / H``, each in
    ``[0, 1]``.

    Args:
        num_points: Number of landmarks. Defaults to 5.
        input_size: Input image size, an int (square) or ``(height, width)``. Every side must be
            divisible by the total stride of the network (``2 ** len(channels)``, or 8 for
            ``'reference'``). Defaults to 48.
        channels: Output channels of each stage. Defaults to ``(16, 32, 64, 128)``.
        num_convs: Number of convolution blocks of each stage, same length as ``channels``.
            Defaults to ``(1, 1, 2, 1)``.
        hidden_channels: Width of the hidden fully connected layer of the head. Defaults to 128.
        arch: ``'facerec'`` or ``'reference'``, see above. Defaults to ``'facerec'``.
        init_cfg: Initialisation config, for example
            ``dict(type='Pretrained', checkpoint=...)``. Defaults to None, which uses the
            initialisation of :meth:`init_weights`.
    """

    def __init__(
        self,
        num_points: int = 5,
        input_size: Union[int, Tuple[int, int]] = 48,
        channels: Optional[Sequence[int]] = None,
        num_convs: Optional[Sequence[int]] = None,
        hidden_channels: Optional[int] = None,
        arch: str = 'facerec',
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if arch not in LANDNET_ARCHS:
            raise ValueError(f'arch must be one of {LANDNET_ARCHS}, got {arch!r}')
        self.arch = arch
        self.num_points = check_positive_int('num_points', num_points)
        if arch == 'reference':
            given = [
                name
                for name, value in (
                    ('channels', channels),
                    ('num_convs', num_convs),
                    ('hidden_channels', hidden_channels),
                )
                if value is not None
            ]
            if given:
                raise ValueError(f"{given} describe arch='facerec' only; leave them unset")
            self._build_reference(input_size)
        else:
            self._build_facerec(
                input_size,
                (16, 32, 64, 128) if channels is None else channels,
                (1, 1, 2, 1) if num_convs is None else num_convs,
                128 if hidden_channels is None else hidden_channels,
            )

    def _build_facerec(
        self,
        input_size: Union[int, Tuple[int, int]],
        channels: Sequence[int],
        num_convs: Sequence[int],
        hidden_channels: int,
    ) -> None:
        self.hidden_channels = check_positive_int('hidden_channels', hidden_channels)
        for name, values in (('channels', channels), ('num_convs', num_convs)):
            if (
                not isinstance(values, (tuple, list))
                or len(values) == 0
                or not all(is_int(v) and v > 0 for v in values)
            ):
                raise ValueError(
                    f'{name} must be a non-empty sequence of positive ints, got {values!r}'
                )
        if len(channels) != len(num_convs):
            raise ValueError(
                f'channels and num_convs must have the same length, got {len(channels)} '
                f'and {len(num_convs)}'
            )
        self.channels = tuple(int(c) for c in channels)
        self.num_convs = tuple(int(n) for n in num_convs)
        total_stride = 2 ** len(self.channels)
        self.input_size = _check_size(input_size, total_stride)

        self.input_norm = nn.Identity()
        stages = []
        in_channels = 3
        for out_channels, repeats in zip(self.channels, self.num_convs):
            blocks: List[nn.Module] = []
            for _ in range(repeats):
                blocks.append(ConvBNAct(in_channels, out_channels, 3, padding=1, act='PReLU'))
                in_channels = out_channels
            blocks.append(nn.MaxPool2d(kernel_size=2, stride=2))
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)

        map_size = (self.input_size[0] // total_stride, self.input_size[1] // total_stride)
        self.gdc = ConvBNAct(in_channels, in_channels, map_size, groups=in_channels)
        self.fc = nn.Sequential(
            nn.Linear(in_channels, self.hidden_channels),
            nn.PReLU(self.hidden_channels),
        )
        self.regressor = nn.Linear(self.hidden_channels, self.num_points * 2)

    def _build_reference(self, input_size: Union[int, Tuple[int, int]]) -> None:
        self.input_size = _check_size(input_size, 8)
        self.input_norm = nn.BatchNorm2d(3)
        self.stages = nn.Sequential(
            PostNormConv(3, 16, pool=True),
            PostNormConv(16, 32, pool=True),
            PostNormConv(32, 64, pool=True),
            PostNormConv(64, 64),
            PostNormConv(64, 128),
        )
        map_size = (self.input_size[0] // 8, self.input_size[1] // 8)
        self.gdc = PostNormConv(128, 128, map_size, groups=128)
        self.fc = nn.Sequential(
            nn.Linear(128, 256),
            nn.PReLU(256),
            nn.BatchNorm1d(256),
            nn.Linear(256, 64),
            nn.PReLU(64),
        )
        self.regressor = nn.Linear(64, self.num_points * 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Predict the landmarks of a batch of face crops.

        Args:
            x: Normalised images of shape ``(N, 3, H, W)`` with ``(H, W)`` equal to
                ``input_size``.

        Returns:
            torch.Tensor: Landmarks of shape ``(N, num_points, 2)`` as ``(x / W, y / H)``, each
            in ``[0, 1]``.
        """
        check_input_shape(x, self.input_size, 'LandNet', check_channels=True)
        x = self.stages(self.input_norm(x))
        x = self.gdc(x).flatten(1)
        x = self.regressor(self.fc(x))
        return torch.sigmoid(x).view(-1, self.num_points, 2)

    def init_weights(self) -> None:
        """Initialise the weights.

        When ``init_cfg`` is set the mmengine initialisation is used. Otherwise convolutions get
        Kaiming normal weights (fan_out), batch norms unit weights and zero biases, the hidden
        fully connected layer Kaiming normal weights (fan_in) and zero biases, and the last layer
        small normal weights (std 0.01) and zero biases, so every point starts near the image
        centre.
        """
        if self.init_cfg:
            super().init_weights()
            return
        init_face_weights(self, linear_init='kaiming')
        nn.init.normal_(self.regressor.weight, std=0.01)
        nn.init.zeros_(self.regressor.bias)
        self._is_init = True
