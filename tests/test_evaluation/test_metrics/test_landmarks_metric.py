import math

import numpy as np
import pytest
import torch

from facerec.evaluation.metrics import LandmarksMetric
from facerec.evaluation.metrics import landmarks_metric as landmarks_metric_module
from facerec.registry import METRICS
from facerec.structures import FaceDataSample

NUM_SAMPLES = 7
NUM_POINTS = 5


def synthetic(seed=0):
    """Ground truth around a 5-point face in a 48 px crop, predictions with noise whose
    size varies per image so that some images fail at 0.1."""
    rng = np.random.default_rng(seed)
    template = np.array([[16, 18], [32, 18], [24, 26], [18, 34], [30, 34]], dtype=np.float64)
    gts, preds = [], []
    for i in range(NUM_SAMPLES):
        gt = template + rng.uniform(-3, 3, size=(NUM_POINTS, 2))
        noise = rng.normal(scale=0.5 + 0.5 * i, size=(NUM_POINTS, 2))
        gts.append(gt)
        preds.append(gt + noise)
    return np.stack(preds), np.stack(gts)


def reference(preds, gts, threshold=0.1):
    """Independent computation with plain python loops."""
    image_means, point_sums = [], [0.0] * NUM_POINTS
    for pred, gt in zip(preds, gts):
        iod = math.hypot(gt[0][0] - gt[1][0], gt[0][1] - gt[1][1])
        errors = [math.hypot(p[0] - g[0], p[1] - g[1]) / iod for p, g in zip(pred, gt)]
        image_means.append(sum(errors) / len(errors))
        for k, e in enumerate(errors):
            point_sums[k] += e
    n = len(image_means)
    return dict(
        mean_error=sum(image_means) / n,
        failure_rate=sum(m > threshold for m in image_means) / n,
        max_error=max(image_means),
        per_point=[s / n for s in point_sums],
    )


@pytest.fixture
def captured_logs(monkeypatch):
    messages = []

    def fake_print_log(msg, logger=None, level=None):
        messages.append(msg)

    monkeypatch.setattr(landmarks_metric_module, 'print_log', fake_print_log)
    return messages


def test_evaluate_matches_reference(captured_logs):
    preds, gts = synthetic()
    metric = METRICS.build(dict(type='LandmarksMetric'))
    assert isinstance(metric, LandmarksMetric)
    for start in range(0, NUM_SAMPLES, 3):
        batch = []
        for i in range(start, min(start + 3, NUM_SAMPLES)):
            sample = FaceDataSample()
            sample.gt_landmarks = torch.tensor(gts[i], dtype=torch.float32)
            sample.set_pred_landmarks(torch.tensor(preds[i], dtype=torch.float32))
            batch.append(sample.to_dict())
        metric.process({}, batch)
    result = metric.evaluate(NUM_SAMPLES)

    ref = reference(preds, gts)
    assert 0 < ref['failure_rate'] < 1
    expected_keys = {'mean_error', 'failure_rate', 'max_error'}
    expected_keys |= {f'error_p{k}' for k in range(NUM_POINTS)}
    assert set(result) == {f'landmarks/{key}' for key in expected_keys}
    assert result['landmarks/mean_error'] == pytest.approx(ref['mean_error'], rel=1e-5)
    assert result['landmarks/failure_rate'] == pytest.approx(ref['failure_rate'])
    assert result['landmarks/max_error'] == pytest.approx(ref['max_error'], rel=1e-5)
    for k in range(NUM_POINTS):
        assert result[f'landmarks/error_p{k}'] == pytest.approx(ref['per_point'][k], rel=1e-5)

    assert captured_logs == [
        f'Normalized mean error: {ref["mean_error"]:.4f}',
        'Per-point error: ' + ' '.join(f'{e:.3f}' for e in ref['per_point']),
        f'Failure rate @0.1: {ref["failure_rate"]:.4f}',
    ]


def test_options_prefix_and_data_elements(captured_logs):
    preds, gts = synthetic(seed=1)
    metric = LandmarksMetric(failure_threshold=0.25, left_eye=1, right_eye=0, prefix='lm')
    samples = []
    for pred, gt in zip(preds, gts):
        sample = FaceDataSample(gt_landmarks=torch.tensor(gt))
        samples.append(sample.set_pred_landmarks(torch.tensor(pred)))
    metric.process({}, samples)
    result = metric.evaluate(NUM_SAMPLES)
    ref = reference(preds, gts, threshold=0.25)
    assert result['lm/failure_rate'] == pytest.approx(ref['failure_rate'])
    assert result['lm/mean_error'] == pytest.approx(ref['mean_error'])
    assert captured_logs[-1] == f'Failure rate @0.25: {ref["failure_rate"]:.4f}'


def test_errors(captured_logs):
    metric = LandmarksMetric()
    with pytest.raises(KeyError, match='pred_landmarks'):
        metric.process({}, [dict(gt_landmarks=torch.zeros(5, 2))])
    with pytest.raises(ValueError, match='different'):
        metric.process({}, [dict(gt_landmarks=torch.zeros(5, 2), pred_landmarks=torch.zeros(4, 2))])
    gt = torch.tensor([[10.0, 10.0], [10.0, 10.0], [5.0, 5.0]])
    metric.process({}, [dict(gt_landmarks=gt, pred_landmarks=gt)])
    with pytest.raises(ValueError, match='sample 0'):
        metric.evaluate(1)
    with pytest.raises(ValueError, match='differ'):
        LandmarksMetric(left_eye=2, right_eye=2)
