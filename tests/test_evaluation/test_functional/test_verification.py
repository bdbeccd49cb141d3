import time

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from facerec.evaluation.functional import (
    best_threshold,
    cosine_similarity,
    evaluate_verification,
    roc_auc,
)

# Hand-built example: 3 folds of 4 pairs (S = same, D = different).
#   fold 0: 0.9 S, 0.8 S, 0.3 D, 0.1 D
#   fold 1: 0.7 S, 0.4 D, 0.5 S, 0.2 D
#   fold 2: 0.6 S, 0.35 D, 0.65 D, 0.05 S
#
# Correct predictions for a threshold t: (#S with score > t) + (#D with score <= t).
#
# Fold 0 (train = folds 1, 2):
#   sorted: 0.05S 0.2D 0.35D 0.4D 0.5S 0.6S 0.65D 0.7S
#   t = 0.05-1: 4, 0.125: 3, 0.275: 4, 0.375: 5, 0.45: 6, 0.55: 5, 0.625: 4, 0.675: 5,
#   t = 0.7+1: 4  -> best t = 0.45 (6/8).
#   test: 0.9>t S ok, 0.8>t S ok, 0.3<=t D ok, 0.1<=t D ok -> acc 1, same 1, diff 1.
# Fold 1 (train = folds 0, 2):
#   sorted: 0.05S 0.1D 0.3D 0.35D 0.6S 0.65D 0.8S 0.9S
#   t = 0.05-1: 4, 0.075: 3, 0.2: 4, 0.325: 5, 0.475: 6, 0.625: 5, 0.725: 6, 0.85: 5,
#   t = 0.9+1: 4  -> tie between 0.475 and 0.725, the smallest wins: t = 0.475.
#   test: 0.7 S ok, 0.4 D ok, 0.5 S ok, 0.2 D ok -> acc 1, same 1, diff 1.
#   (with 0.725 both same pairs 0.7 and 0.5 would be wrong -> acc 0.5.)
# Fold 2 (train = folds 0, 1):
#   sorted: 0.1D 0.2D 0.3D 0.4D 0.5S 0.7S 0.8S 0.9S -> separable, t = 0.45 (8/8).
#   test: 0.6 S ok, 0.35 D ok, 0.65 D wrong, 0.05 S wrong -> acc 0.5, same 0.5, diff 0.5.
#
# Mean accuracy = (1 + 1 + 0.5) / 3 = 5/6; population std = sqrt((1/36 + 1/36 + 4/36) / 3)
# = sqrt(1/18); same = diff = 2.5/3 = 5/6; mean threshold = (0.45 + 0.475 + 0.45) / 3.
# AUC: same scores {0.9, 0.8, 0.7, 0.6, 0.5, 0.05}, diff {0.65, 0.4, 0.35, 0.3, 0.2, 0.1}:
# 0.9, 0.8, 0.7 beat all 6; 0.6 and 0.5 beat 5; 0.05 beats 0 -> 28 / 36 = 7/9.
HAND_SCORES = np.array([0.9, 0.8, 0.3, 0.1, 0.7, 0.4, 0.5, 0.2, 0.6, 0.35, 0.65, 0.05])
HAND_SAME = np.array([1, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1], dtype=bool)
HAND_FOLDS = np.repeat([0, 1, 2], 4)


def naive_best_threshold(scores, is_same):
    """O(n^2) reference: try every candidate, keep the first (smallest) best one."""
    scores = np.asarray(scores, dtype=np.float64)
    is_same = np.asarray(is_same, dtype=bool)
    values = np.unique(scores)
    candidates = [values[0] - 1.0]
    candidates += [(values[i] + values[i + 1]) / 2 for i in range(len(values) - 1)]
    candidates.append(values[-1] + 1.0)
    best_t, best_acc = None, -1.0
    for t in candidates:
        acc = float(np.mean((scores > t) == is_same))
        if acc > best_acc:
            best_t, best_acc = t, acc
    return best_t, best_acc


def test_hand_example():
    out = evaluate_verification(HAND_SCORES, HAND_SAME, HAND_FOLDS)
    np.testing.assert_allclose(out['fold_threshold'], [0.45, 0.475, 0.45])
    np.testing.assert_allclose(out['fold_accuracy'], [1.0, 1.0, 0.5])
    np.testing.assert_allclose(out['fold_same_accuracy'], [1.0, 1.0, 0.5])
    np.testing.assert_allclose(out['fold_diff_accuracy'], [1.0, 1.0, 0.5])
    assert out['accuracy'] == pytest.approx(5 / 6)
    assert out['accuracy_std'] == pytest.approx(np.sqrt(1 / 18))
    assert out['same_accuracy'] == pytest.approx(5 / 6)
    assert out['diff_accuracy'] == pytest.approx(5 / 6)
    assert out['threshold'] == pytest.approx((0.45 + 0.475 + 0.45) / 3)
    assert out['auc'] == pytest.approx(7 / 9)
    assert out['auc'] == pytest.approx(roc_auc_score(HAND_SAME, HAND_SCORES))
    for key in ('accuracy', 'accuracy_std', 'same_accuracy', 'diff_accuracy', 'auc', 'threshold'):
        assert isinstance(out[key], float)


def test_hand_training_thresholds():
    # Training sets of the hand example, with their accuracies worked out above.
    t, acc = best_threshold(HAND_SCORES[HAND_FOLDS != 0], HAND_SAME[HAND_FOLDS != 0])
    assert t == pytest.approx(0.45) and acc == pytest.approx(6 / 8)
    t, acc = best_threshold(HAND_SCORES[HAND_FOLDS != 1], HAND_SAME[HAND_FOLDS != 1])
    assert t == pytest.approx(0.475) and acc == pytest.approx(6 / 8)
    t, acc = best_threshold(HAND_SCORES[HAND_FOLDS != 2], HAND_SAME[HAND_FOLDS != 2])
    assert t == pytest.approx(0.45) and acc == pytest.approx(1.0)


def test_single_fold_uses_its_own_pairs():
    scores = np.array([0.9, 0.2, 0.6, 0.4])
    same = np.array([1, 0, 1, 0], dtype=bool)
    out = evaluate_verification(scores, same, np.zeros(4, dtype=int))
    # Separable: midpoint between 0.4 and 0.6.
    np.testing.assert_allclose(out['fold_threshold'], [0.5])
    assert out['accuracy'] == 1.0
    assert out['accuracy_std'] == 0.0


def test_best_threshold_extremes_and_ties():
    # All same: everything predicted same with the candidate below the minimum.
    t, acc = best_threshold([0.3, 0.5, 0.5], [1, 1, 1])
    assert t == pytest.approx(0.3 - 1.0) and acc == 1.0
    # All different: the candidate above the maximum.
    t, acc = best_threshold([0.3, 0.5, 0.5], [0, 0, 0])
    assert t == pytest.approx(0.5 + 1.0) and acc == 1.0
    # Tied scores with mixed labels cannot be split.
    t, acc = best_threshold([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 1])
    assert t == pytest.approx(-0.5) and acc == 0.75


@pytest.mark.parametrize('seed', range(5))
def test_best_threshold_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 200))
    scores = np.round(rng.normal(size=n), 1)  # rounding creates ties
    is_same = rng.random(n) < 0.5
    t, acc = best_threshold(scores, is_same)
    t_ref, acc_ref = naive_best_threshold(scores, is_same)
    assert t == pytest.approx(t_ref)
    assert acc == pytest.approx(acc_ref)
    assert acc == pytest.approx(np.mean((scores > t) == is_same))


@pytest.mark.parametrize('seed', range(5))
def test_roc_auc_matches_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = 500
    is_same = rng.random(n) < 0.4
    scores = np.round(rng.normal(size=n) + is_same, 1)
    assert roc_auc(scores, is_same) == pytest.approx(roc_auc_score(is_same, scores))


def test_roc_auc_edge_cases():
    assert roc_auc([0.1, 0.2], [1, 0]) == 0.0
    assert roc_auc([0.1, 0.2], [0, 1]) == 1.0
    assert roc_auc([0.2, 0.2], [0, 1]) == 0.5
    assert np.isnan(roc_auc([0.1, 0.2], [1, 1]))


def test_fold_without_one_class_gives_nan_rate():
    # Fold 1 has no different pairs: its diff accuracy is nan and left out of the mean.
    scores = np.array([0.9, 0.1, 0.8, 0.7])
    same = np.array([1, 0, 1, 1], dtype=bool)
    out = evaluate_verification(scores, same, [0, 0, 1, 1])
    assert np.isnan(out['fold_diff_accuracy'][1])
    assert out['diff_accuracy'] == pytest.approx(out['fold_diff_accuracy'][0])


def test_validation_errors():
    with pytest.raises(ValueError, match='same length'):
        evaluate_verification([0.1, 0.2], [1], [0, 0])
    with pytest.raises(ValueError, match='one entry per pair'):
        evaluate_verification([0.1, 0.2], [1, 0], [0])
    with pytest.raises(ValueError, match='empty'):
        evaluate_verification([], [], [])
    with pytest.raises(ValueError, match=r'fold\(s\) \[1\]'):
        evaluate_verification([0.1, 0.2, 0.3], [1, 0, 1], [0, 2, 2])
    with pytest.raises(ValueError, match='non-negative'):
        evaluate_verification([0.1, 0.2], [1, 0], [0, -1])
    with pytest.raises(ValueError, match='integers'):
        evaluate_verification([0.1, 0.2], [1, 0], [0, 0.5])
    with pytest.raises(ValueError, match='finite'):
        evaluate_verification([0.1, np.nan], [1, 0], [0, 0])
    with pytest.raises(ValueError, match='same length'):
        best_threshold([0.1, 0.2], [1])
    with pytest.raises(ValueError, match='empty'):
        roc_auc([], [])
    with pytest.raises(ValueError, match='same shape'):
        cosine_similarity(np.ones((2, 3)), np.ones((3, 3)))


def test_cosine_similarity():
    a = np.array([[1.0, 0.0], [3.0, 4.0], [0.0, 0.0], [1.0, 1.0]])
    b = np.array([[0.0, 2.0], [6.0, 8.0], [1.0, 2.0], [-2.0, -2.0]])
    # Orthogonal -> 0; parallel -> 1; zero vector -> 0; opposite -> -1.
    expected = np.array([0.0, 1.0, 0.0, -1.0])
    out = cosine_similarity(a, b)
    assert out.shape == (4,)
    assert not np.any(np.isnan(out))
    np.testing.assert_allclose(out, expected, atol=1e-12)
    # A generic pair: (1, 2) . (3, -1) / (sqrt(5) * sqrt(10)) = 1 / sqrt(50).
    out = cosine_similarity([[1.0, 2.0]], [[3.0, -1.0]])
    np.testing.assert_allclose(out, [1 / np.sqrt(50)])


def test_lfw_sized_run_is_fast():
    rng = np.random.default_rng(0)
    n = 6000
    is_same = np.arange(n) % 2 == 0
    scores = rng.normal(size=n) + is_same
    folds = np.repeat(np.arange(10), n // 10)
    start = time.perf_counter()
    out = evaluate_verification(scores, is_same, folds)
    elapsed = time.perf_counter() - start
    assert 0.5 < out['accuracy'] < 1.0
    assert elapsed < 1.0
