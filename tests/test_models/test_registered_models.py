import inspect

import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel

import facerec.models  # noqa: F401
from facerec.registry import MODELS


def registered_under(package: str):
    names = []
    for name, cls in sorted(MODELS.module_dict.items()):
        if cls.__module__.startswith(package + '.') and not inspect.isabstract(cls):
            names.append(name)
    return names


BACKBONES = registered_under('facerec.models.backbones')
HEADS = [n for n in registered_under('facerec.models.heads') if not n.endswith('Margin')]
LANDMARK_BACKBONES = [
    name
    for name in registered_under('facerec.models.landmarks')
    if issubclass(MODELS.get(name), nn.Module) and not issubclass(MODELS.get(name), BaseModel)
]


def test_something_is_registered():
    assert 'MobileFaceNet' in BACKBONES
    assert {'AMSoftmaxHead', 'ArcFaceHead'} <= set(HEADS)


@pytest.mark.parametrize('name', BACKBONES)
def test_backbone(name):
    torch.manual_seed(0)
    model = MODELS.build(dict(type=name))
    model.init_weights()
    model.train()
    out = model(torch.randn(2, 3, 112, 112))
    assert out.shape == (2, model.embedding_size)
    out.pow(2).mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize('name', HEADS)
def test_head(name):
    torch.manual_seed(0)
    dim = 32
    head = MODELS.build(dict(type=name, num_classes=10, in_channels=dim))
    head.init_weights()
    feats = torch.randn(4, dim, requires_grad=True)
    labels = torch.tensor([0, 3, 9, 3])
    assert head(feats).shape == (4, 10)
    assert head(feats, labels).shape == (4, 10)
    losses = head.loss(feats, labels)
    loss = losses['loss_cls']
    assert loss.dim() == 0 and torch.isfinite(loss)
    loss.backward()
    assert torch.isfinite(feats.grad).all()


def test_landmark_backbones_are_registered():
    assert 'LandNet' in LANDMARK_BACKBONES
    assert 'LandmarkRegressor' not in LANDMARK_BACKBONES


@pytest.mark.parametrize('name', LANDMARK_BACKBONES)
def test_landmark_backbone(name):
    torch.manual_seed(0)
    model = MODELS.build(dict(type=name))
    model.init_weights()
    model.train()
    out = model(torch.randn(2, 3, 48, 48))
    assert out.shape == (2, model.num_points, 2)
    out.pow(2).mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
