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


def batch(n=4):
    torch.manual_seed(0)
    inputs = [torch.randint(0, 255, (3, 32, 32), dtype=torch.uint8) for _ in range(n)]
    samples = [FaceDataSample().set_gt_label(i % 5) for i in range(n)]
    return dict(inputs=inputs, data_samples=samples)


AUX = [
    dict(type='CenterLoss', num_classes=5, in_channels=8, loss_weight=0.1),
    dict(type='PushLoss', loss_weight=0.1),
    dict(type='MinMarginLoss', margin=1.0, loss_weight=0.1),
]


def test_aux_losses_are_added_and_train_the_centres():
    model = build(aux_losses=AUX)
    assert model.aux_loss_names == ['center', 'push', 'min_margin']
    assert any(p is model.aux_losses[0].centers for p in model.parameters())
    data = model.data_preprocessor(batch(), training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_cls', 'accuracy', 'loss_center', 'loss_push', 'loss_min_margin'}
    for key in ('loss_center', 'loss_push', 'loss_min_margin'):
        assert losses[key].dim() == 0 and torch.isfinite(losses[key])
    total, log_vars = model.parse_losses(losses)
    assert {'loss_center', 'loss_push', 'loss_min_margin'} <= set(log_vars)
    total.backward()
    centres = model.aux_losses[0].centers.grad
    assert centres is not None and centres.abs().sum() > 0
    assert model.head.weight.grad is not None


def test_aux_loss_receives_the_head():
    model = build(aux_losses=[dict(type='PushLoss', batch_classes_only=True)])
    data = model.data_preprocessor(batch(), training=True)
    labels = torch.stack([s.gt_label for s in data['data_samples']]).reshape(-1)
    expected = model.aux_losses[0](None, labels, head=model.head)
    assert torch.allclose(model(**data, mode='loss')['loss_push'], expected)


def test_names_and_defaults():
    model = build()
    assert len(model.aux_losses) == 0
    data = model.data_preprocessor(batch(), training=True)
    assert set(model(**data, mode='loss')) == {'loss_cls', 'accuracy'}
    named = build(
        aux_losses=[dict(type='PushLoss', name='push_a'), dict(type='PushLoss', name='b')]
    )
    assert named.aux_loss_names == ['push_a', 'b']
    with pytest.raises(ValueError, match='push'):
        build(aux_losses=[dict(type='PushLoss'), dict(type='PushLoss')])
