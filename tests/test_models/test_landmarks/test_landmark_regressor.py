import pytest
import torch

import facerec.models  # noqa: F401
from facerec.models.landmarks import LandmarkRegressor, LandNet
from facerec.registry import MODELS
from facerec.structures import FaceDataSample


def make_batch(model, n=4, size=48, seed=0, with_gt=True):
    """Raw uint8 images and data samples with landmarks in pixels, run through the
    model's data preprocessor."""
    gen = torch.Generator().manual_seed(seed)
    imgs = [
        torch.randint(0, 256, (3, size, size), generator=gen, dtype=torch.uint8) for _ in range(n)
    ]
    samples = []
    for _ in range(n):
        sample = FaceDataSample()
        if with_gt:
            sample.gt_landmarks = torch.rand(5, 2, generator=gen) * (size - 8) + 4
        samples.append(sample)
    return model.data_preprocessor(dict(inputs=imgs, data_samples=samples), training=True)


@pytest.fixture
def model():
    torch.manual_seed(0)
    model = MODELS.build(dict(type='LandmarkRegressor'))
    model.init_weights()
    return model


def test_defaults(model):
    assert isinstance(model, LandmarkRegressor)
    assert isinstance(model.backbone, LandNet)
    assert type(model.loss_module).__name__ == 'WingLoss'
    assert type(model.data_preprocessor).__name__ == 'FaceDataPreprocessor'


def test_loss_mode(model):
    data = make_batch(model)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_landmarks'}
    loss = losses['loss_landmarks']
    assert loss.dim() == 0 and torch.isfinite(loss) and loss > 0
    loss.backward()


def test_loss_targets_are_normalised_by_width_and_height():
    model = LandmarkRegressor(loss=dict(type='L1Loss'))
    model.init_weights()
    data = make_batch(model, n=2)
    pred = model(data['inputs'], mode='tensor')
    gt = torch.stack([s.gt_landmarks for s in data['data_samples']])
    expected = (pred - gt / 48.0).abs().mean()
    loss = model(**data, mode='loss')['loss_landmarks']
    assert torch.allclose(loss, expected, atol=1e-6)


def test_tensor_and_predict_modes(model):
    model.eval()
    data = make_batch(model, n=3, with_gt=False)
    norm = model(data['inputs'], mode='tensor')
    assert norm.shape == (3, 5, 2)
    assert torch.all((norm >= 0) & (norm <= 1))
    samples = model(**data, mode='predict')
    assert samples is data['data_samples']
    for sample, points in zip(samples, norm):
        assert sample.pred_landmarks.shape == (5, 2)
        assert torch.allclose(sample.pred_landmarks, points * 48.0)
    # Without data samples, new ones are created.
    created = model(data['inputs'], mode='predict')
    assert len(created) == 3 and isinstance(created[0], FaceDataSample)


def test_predict_uses_x_width_y_height():
    model = LandmarkRegressor(
        backbone=dict(type='LandNet', input_size=(64, 48)),
        data_preprocessor=dict(type='FaceDataPreprocessor'),
    )
    model.init_weights()
    model.eval()
    inputs = torch.randn(2, 3, 64, 48)
    norm = model(inputs, mode='tensor')
    samples = model(inputs, mode='predict')
    scale = torch.tensor([48.0, 64.0])
    for sample, points in zip(samples, norm):
        assert torch.allclose(sample.pred_landmarks, points * scale)


def test_errors(model):
    data = make_batch(model, n=2, with_gt=False)
    with pytest.raises(KeyError, match='gt_landmarks'):
        model(**data, mode='loss')
    with pytest.raises(ValueError, match='gt_landmarks'):
        model(data['inputs'], None, mode='loss')
    with pytest.raises(RuntimeError, match='Invalid mode'):
        model(data['inputs'], mode='bogus')
    bad = make_batch(model, n=2)
    for sample in bad['data_samples']:
        sample.gt_landmarks = torch.zeros(3, 2)
    with pytest.raises(ValueError, match='number of points'):
        model(**bad, mode='loss')


def test_overfits_four_samples(model):
    model.train()
    data = make_batch(model, n=4, seed=1)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        loss = model(**data, mode='loss')['loss_landmarks']
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.4 * losses[0], losses
