"""Face verification measures: cosine scores, threshold search, ROC AUC, k-fold protocol.

All functions are pure numpy. A pair is predicted "same" iff its score is strictly greater than
the threshold.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ['cosine_similarity', 'best_threshold', 'roc_auc', 'evaluate_verification']

#: Distance between the extreme candidate thresholds and the smallest / largest score.
_OUTER_MARGIN = 1.0


def _as_scores_labels(scores: Any, is_same: Any) -> tuple[np.ndarray, np.ndarray]:
    """Convert and validate a pair of score / label sequences.

    Args:
        scores: One score per pair.
        is_same: One ground-truth flag per pair.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``float64`` scores and ``bool`` labels, both 1-D.

    Raises:
        ValueError: If the inputs are not 1-D, have different lengths, are empty, or a score is
            not finite.
    """
    scores = np.asarray(scores, dtype=np.float64)
    is_same = np.asarray(is_same)
    if scores.ndim != 1 or is_same.ndim != 1:
        raise ValueError(
            f'scores and is_same must be 1-D, got shapes {scores.shape} and {is_same.shape}'
        )
    if scores.shape[0] != is_same.shape[0]:
        raise ValueError(
            f'scores and is_same must have the same length, got {scores.shape[0]} '
            f'and {is_same.shape[0]}'
        )
    if scores.shape[0] == 0:
        raise ValueError('scores and is_same must not be empty')
    if not np.all(np.isfinite(scores)):
        raise ValueError('scores must be finite (found NaN or inf)')
    return scores, is_same.astype(bool)


def cosine_similarity(a: Any, b: Any) -> np.ndarray:
    """Row-wise cosine similarity of two sets of embeddings.

    Each row is L2-normalised before the dot product. A zero row stays zero, so any pair that
    involves a zero vector scores ``0`` (never NaN).

    Args:
        a: Array-like of shape ``(N, D)``.
        b: Array-like of shape ``(N, D)``.

    Returns:
        np.ndarray: ``float64`` array of shape ``(N,)`` with values in ``[-1, 1]``.

    Raises:
        ValueError: If ``a`` and ``b`` are not 2-D arrays of the same shape.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(
            f'a and b must be 2-D arrays of the same shape, got {a.shape} and {b.shape}'
        )

    def _normalise(x: np.ndarray) -> np.ndarray:
        norm = np.linalg.norm(x, axis=1, keepdims=True)
        safe = np.where(norm > 0, norm, 1.0)
        return np.where(norm > 0, x / safe, 0.0)

    sim = np.einsum('nd,nd->n', _normalise(a), _normalise(b))
    return np.clip(sim, -1.0, 1.0)


def best_threshold(scores: Any, is_same: Any) -> tuple[float, float]:
    """Find the threshold that maximises verification accuracy on the given pairs.

    A pair is predicted "same" iff ``score > threshold``. The candidates are the midpoints
    between consecutive distinct sorted scores, plus ``min(scores) - 1`` (everything predicted
    same) and ``max(scores) + 1`` (everything predicted different), so the search is exact.
    Every candidate is evaluated with cumulative counts over the sorted scores, which costs
    ``O(n log n)`` in total. When several candidates reach the maximum accuracy, the smallest of
    them is returned.

    Args:
        scores: Array-like of shape ``(N,)``, higher means more similar.
        is_same: Array-like of shape ``(N,)``, ground truth of each pair.

    Returns:
        tuple[float, float]: The chosen threshold and the accuracy it reaches on these pairs.

    Raises:
        ValueError: If the inputs are invalid (see :func:`evaluate_verification`).
    """
    scores, is_same = _as_scores_labels(scores, is_same)
    n = scores.shape[0]

    values, inverse = np.unique(scores, return_inverse=True)
    inverse = inverse.reshape(-1)
    same_per_value = np.bincount(inverse, weights=is_same, minlength=values.size)
    diff_per_value = np.bincount(inverse, weights=~is_same, minlength=values.size)

    # Candidate j (0..m) puts the threshold just below values[j]: values[:j] are predicted
    # different and values[j:] are predicted same.
    diff_below = np.concatenate(([0.0], np.cumsum(diff_per_value)))
    same_below = np.concatenate(([0.0], np.cumsum(same_per_value)))
    same_above = same_below[-1] - same_below
    correct = same_above + diff_below

    lo, hi = values[:-1], values[1:]
    mid = (lo + hi) / 2.0
    # Guard against a midpoint that rounds up onto the upper value of two adjacent floats.
    mid = np.where(mid < hi, mid, lo)
    candidates = np.concatenate(([values[0] - _OUTER_MARGIN], mid, [values[-1] + _OUTER_MARGIN]))

    best = int(np.argmax(correct))
    return float(candidates[best]), float(correct[best] / n)


def roc_auc(scores: Any, is_same: Any) -> float:
    """Area under the ROC curve, through the Mann-Whitney U statistic.

    The AUC is the probability that a random "same" pair scores higher than a random
    "different" pair, with ties counted as one half. It is computed from average ranks in
    ``O(n log n)``.

    Args:
        scores: Array-like of shape ``(N,)``, the decision values.
        is_same: Array-like of shape ``(N,)``, ground truth of each pair.

    Returns:
        float: The AUC in ``[0, 1]``, or ``nan`` when only one class is present.

    Raises:
        ValueError: If the inputs are invalid (see :func:`evaluate_verification`).
    """
    scores, is_same = _as_scores_labels(scores, is_same)
    n_pos = int(is_same.sum())
    n_neg = int(is_same.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return float('nan')

    values, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    # Tied scores share the mean of the 1-based ranks they span.
    ends = np.cumsum(counts).astype(np.float64)
    avg_rank = ends - (counts - 1) / 2.0
    rank_sum_pos = float(avg_rank[inverse][is_same].sum())
    u_stat = rank_sum_pos - n_pos * (n_pos + 1) / 2.0
    return u_stat / (n_pos * n_neg)


def _fraction(numerator: int, denominator: int) -> float:
    """Return ``numerator / denominator``, or ``nan`` for an empty denominator."""
    return numerator / denominator if denominator > 0 else float('nan')


def _nanmean(values: np.ndarray) -> float:
    """Mean over the finite entries, ``nan`` if there are none (without a warning)."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float('nan')


def evaluate_verification(scores: Any, is_same: Any, folds: Any) -> dict[str, Any]:
    """Run the k-fold verification protocol (LFW view 2).

    For each fold ``k``, the threshold is chosen with :func:`best_threshold` on the pairs of all
    other folds and then applied to fold ``k``. With a single fold, the threshold is chosen on
    that same fold. The same-pair (diff-pair) accuracy of a fold is the fraction of its "same"
    ("different") pairs that are predicted correctly; it is ``nan`` for a fold that has no such
    pairs, and such folds are left out of the mean. The AUC is computed over all pairs at once.

    Args:
        scores: Array-like of shape ``(N,)``, one similarity per pair (higher = more similar).
        is_same: Array-like of shape ``(N,)``, ground truth of each pair.
        folds: Array-like of shape ``(N,)`` with the integer fold index ``0..K-1`` of each pair.

    Returns:
        dict[str, Any]: ``accuracy`` (mean over folds), ``accuracy_std`` (population std over
        folds), ``same_accuracy`` and ``diff_accuracy`` (means over folds), ``auc`` (over all
        pairs), ``threshold`` (mean over folds), all python floats, and the per-fold ``float64``
        arrays ``fold_accuracy``, ``fold_same_accuracy``, ``fold_diff_accuracy`` and
        ``fold_threshold`` of shape ``(K,)``.

    Raises:
        ValueError: If the lengths differ, the inputs are empty, a score is not finite, a fold
            index is not a non-negative integer, or a fold in ``0..K-1`` has no pairs.
    """
    scores, is_same = _as_scores_labels(scores, is_same)
    folds = np.asarray(folds)
    if folds.ndim != 1 or folds.shape[0] != scores.shape[0]:
        raise ValueError(
            f'folds must be 1-D with one entry per pair ({scores.shape[0]}), '
            f'got shape {folds.shape}'
        )
    if folds.dtype.kind == 'f':
        if not np.all(np.isfinite(folds)) or not np.all(folds == np.round(folds)):
            raise ValueError('fold indices must be integers')
    elif folds.dtype.kind not in 'iub':
        raise ValueError(f'fold indices must be integers, got dtype {folds.dtype}')
    folds = folds.astype(np.int64)
    if folds.min() < 0:
        raise ValueError(f'fold indices must be non-negative, got {int(folds.min())}')

    num_folds = int(folds.max()) + 1
    fold_sizes = np.bincount(folds, minlength=num_folds)
    empty = np.flatnonzero(fold_sizes == 0)
    if empty.size:
        raise ValueError(
            f'every fold in 0..{num_folds - 1} must contain pairs; '
            f'no pairs in fold(s) {empty.tolist()}'
        )

    fold_accuracy = np.empty(num_folds)
    fold_same = np.empty(num_folds)
    fold_diff = np.empty(num_folds)
    fold_threshold = np.empty(num_folds)
    for k in range(num_folds):
        test = folds == k
        train = ~test if num_folds > 1 else test
        threshold, _ = best_threshold(scores[train], is_same[train])

        pred = scores[test] > threshold
        truth = is_same[test]
        fold_threshold[k] = threshold
        fold_accuracy[k] = float(np.mean(pred == truth))
        fold_same[k] = _fraction(int(np.sum(pred & truth)), int(np.sum(truth)))
        fold_diff[k] = _fraction(int(np.sum(~pred & ~truth)), int(np.sum(~truth)))

    return {
        'accuracy': float(fold_accuracy.mean()),
        'accuracy_std': float(fold_accuracy.std()),
        'same_accuracy': _nanmean(fold_same),
        'diff_accuracy': _nanmean(fold_diff),
        'auc': roc_auc(scores, is_same),
        'threshold': float(fold_threshold.mean()),
        'fold_accuracy': fold_accuracy,
        'fold_same_accuracy': fold_same,
        'fold_diff_accuracy': fold_diff,
        'fold_threshold': fold_threshold,
    }
