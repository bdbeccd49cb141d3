"""Backbones that map face images to embeddings."""

from .base_backbone import BaseFaceBackbone
from .iresnet import IResNet
from .mobilefacenet import MobileFaceNet
from .mobilenet_v2 import MobileNetV2Face
from .resnet import ResNet, SEResNet, SEResNeXt
from .rmnet import RMNet
from .shufflenet_v2 import ShuffleNetV2

__all__ = [
    'BaseFaceBackbone',
    'IResNet',
    'MobileFaceNet',
    'MobileNetV2Face',
    'RMNet',
    'ResNet',
    'SEResNeXt',
    'SEResNet',
    'ShuffleNetV2',
]
