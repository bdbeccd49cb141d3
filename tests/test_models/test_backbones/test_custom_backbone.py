"""The README's "Add a new backbone" example, done exactly as written there."""

import sys
import textwrap

import torch
from mmengine.config import Config

from facerec.registry import MODELS

# The module a user writes (same text as the README).
USER_MODULE = textwrap.dedent(
    """
    import torch.nn as nn

    from facerec.registry import MODELS


    @MODELS.register_module()
    class TinyFaceNet(nn.Module):
        def __init__(self, embedding_size=64):
            super().__init__()
            self.embedding_size = embedding_size
            self.body = nn.Sequential(
                nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.PReLU(16),
                nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, embedding_size))

        def forward(self, x):
            return self.body(x)
    """
)


def test_register_a_backbone_from_a_user_module(tmp_path, monkeypatch):
    (tmp_path / 'my_project').mkdir()
    (tmp_path / 'my_project' / '__init__.py').write_text('')
    (tmp_path / 'my_project' / 'tiny_face_net.py').write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    cfg_file = tmp_path / 'tiny_cfg.py'
    cfg_file.write_text(
        textwrap.dedent(
            """
            custom_imports = dict(imports=['my_project.tiny_face_net'], allow_failed_imports=False)
            model = dict(
                type='FaceRecognizer',
                backbone=dict(type='TinyFaceNet', embedding_size=64),
                head=dict(type='AMSoftmaxHead', num_classes=10, in_channels=64))
            """
        )
    )
    try:
        cfg = Config.fromfile(str(cfg_file))  # the one import line, done by custom_imports
        model = MODELS.build(cfg.model)
        assert type(model.backbone).__name__ == 'TinyFaceNet'
        losses = model.loss(torch.randn(4, 3, 112, 112), _samples(4))
        losses['loss_cls'].backward()
        assert model.backbone.body[0].weight.grad is not None
    finally:
        MODELS._module_dict.pop('TinyFaceNet', None)
        sys.modules.pop('my_project.tiny_face_net', None)
        sys.modules.pop('my_project', None)


def _samples(n):
    from facerec.structures import FaceDataSample

    return [FaceDataSample().set_gt_label(i) for i in range(n)]
