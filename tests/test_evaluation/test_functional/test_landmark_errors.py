import numpy as np
import pytest

from facerec.evaluation.functional import evaluate_landmarks, landmark_errors

# Image 0: eyes (10, 10) and (30, 10), inter-ocular distance 20.
#   offsets (3, 4) (0, 0) (-2, 0) (0, 1) (6, 8) -> distances 5 0 2 1 10
#   -> errors 0.25 0 0.1 0.05 0.5, image mean 0.9 / 5 = 0.18
# Image 1: eyes (0, 0) and (30, 40), inter-ocular distance 50.
#   offsets (0, 0) (5, 0) (3, 4) (0, 0) (-1, 0) -> distances 0 5 5 0 1
#   -> errors 0 0.1 0.1 0 0.02, image mean 0.22 / 5 = 0.044
GT = np.array(
    [
        [[10, 10], [30, 10], [20, 20], [12, 30], [28, 30]],
        [[0, 0], [30, 40], [15, 25], [5, 50], [25, 50]],
    ],
    dtype=np.float64,
)
OFFSETS = np.array(
    [
        [[3, 4], [0, 0], [-2, 0], [0, 1], [6, 8]],
        [[0, 0], [5, 0], [3, 4], [0, 0], [-1, 0]],
    ],
    dtype=np.float64,
)
PRED = GT + OFFSETS
EXPECTED_ERRORS = np.array([[0.25, 0.0, 0.1, 0.05, 0.5], [0.0, 0.1, 0.1, 0.0, 0.02]])


def test_errors_by_hand():
    errors = landmark_errors(PRED, GT)
    assert errors.shape == (2, 5)
    np.testing.assert_allclose(errors, EXPECTED_ERRORS, atol=1e-12)
    # Swapping the eye indices does not change the distance between them.
    np.testing.assert_allclose(landmark_errors(PRED, GT, left_eye=1, right_eye=0), errors)


def test_summary_by_hand():
    stats = evaluate_landmarks(PRED.tolist(), GT.tolist())
    # mean of the image means: (0.18 + 0.044) / 2 = 0.112
    assert stats['mean_error'] == pytest.approx(0.112)
    # per point, mean over the two images
    np.testing.assert_allclose(stats['per_point_error'], [0.125, 0.05, 0.1, 0.025, 0.26])
    # only image 0 (0.18) is above 0.1
    assert stats['failure_rate'] == pytest.approx(0.5)
    assert stats['max_error'] == pytest.approx(0.18)
    np.testing.assert_allclose(stats['per_image_error'], [0.18, 0.044])


@pytest.mark.parametrize('threshold, rate', [(0.2, 0.0), (0.1, 0.5), (0.05, 0.5), (0.04, 1.0)])
def test_failure_rate_thresholds(threshold, rate):
    stats = evaluate_landmarks(PRED, GT, failure_threshold=threshold)
    assert stats['failure_rate'] == pytest.approx(rate)


def test_perfect_prediction():
    stats = evaluate_landmarks(GT, GT)
    assert stats['mean_error'] == 0.0 and stats['failure_rate'] == 0.0
    assert stats['max_error'] == 0.0


def test_zero_inter_ocular_distance_names_the_sample():
    gt = GT.copy()
    gt[1, 1] = gt[1, 0]
    with pytest.raises(ValueError, match='sample 1'):
        landmark_errors(PRED, gt)
    with pytest.raises(ValueError, match='inter-ocular'):
        evaluate_landmarks(PRED, gt)


def test_invalid_inputs():
    with pytest.raises(ValueError, match='same shape'):
        landmark_errors(PRED[:, :4], GT)
    with pytest.raises(ValueError, match=r'\(N, K, 2\)'):
        landmark_errors(PRED[0], GT[0])
    with pytest.raises(ValueError, match='out of range'):
        landmark_errors(PRED, GT, right_eye=5)
    with pytest.raises(ValueError, match='differ'):
        landmark_errors(PRED, GT, left_eye=1, right_eye=1)
    bad = PRED.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match='finite'):
        landmark_errors(bad, GT)
    with pytest.raises(ValueError, match='failure_threshold'):
        evaluate_landmarks(PRED, GT, failure_threshold=-0.1)
