import pytest
import torch

import facerec.models  # noqa: F401
from facerec.registry import MODELS
from facerec.structures import FaceDataSample


def build(**kwargs):
    cfg = dict(
        type='FaceRecognizer',
        backbone=dict(type='MobileFaceNet', widen_factor=0.25, embedding_size=8, input_size=32),
        head=dict(type='AMSoftmaxHead', num_classes=5, in_channels=8),
    )
    cfg.update(kwargs)
    return MODELS.build(cfg)


def batch(n=3):
    inputs = [torch.randint(0, 255, (3, 32, 32), dtype=torch.uint8) for _ in range(n)]
    samples = [FaceDataSample().set_gt_label(i % 5) for i in range(n)]
    return dict(inputs=inputs, data_samples=samples)


def test_modes():
    model = build()
    data = model.data_preprocessor(batch(), training=True)
    assert data['inputs'].dtype == torch.float32 and data['inputs'].shape == (3, 3, 32, 32)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_cls', 'accuracy'} and losses['loss_cls'].requires_grad
    model.eval()
    feats = model(data['inputs'], mode='tensor')
    assert feats.shape == (3, 8)
    preds = model(**data, mode='predict')
    assert torch.allclose(torch.stack([p.pred_feature for p in preds]), feats)
    with pytest.raises(RuntimeError, match='Invalid mode'):
        model(data['inputs'], mode='nope')


def test_data_preprocessor_bgr_to_rgb_and_normalise():
    model = build()
    img = torch.zeros((3, 32, 32), dtype=torch.uint8)
    img[0] = 255  # blue channel in BGR
    out = model.data_preprocessor(dict(inputs=[img], data_samples=[FaceDataSample()]))
    x = out['inputs'][0]
    assert torch.allclose(x[2], torch.full((32, 32), (255 - 127.5) / 128))  # now last (RGB)
    assert torch.allclose(x[0], torch.full((32, 32), -127.5 / 128))


def test_flip_test_sums_embeddings():
    model = build(test_cfg=dict(flip=True)).eval()
    x = torch.randn(2, 3, 32, 32)
    expected = model.extract_feat(x) + model.extract_feat(x.flip(-1))
    preds = model.predict(x)
    assert torch.allclose(torch.stack([p.pred_feature for p in preds]), expected, atol=1e-6)


def test_loss_needs_head():
    model = build(head=None)
    data = model.data_preprocessor(batch(), training=True)
    with pytest.raises(RuntimeError, match='head'):
        model(**data, mode='loss')
