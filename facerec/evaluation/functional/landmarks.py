"""Facial landmark localisation errors, normalised by the inter-ocular distance.

All functions are pure numpy. Landmarks are arrays of shape ``(N, K, 2)``: ``N`` images, ``K``
points, ``(x, y)`` coordinates, predictions and ground truth in the same frame and units.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from facerec.utils.checks import check_number

__all__ = ['landmark_errors', 'evaluate_landmarks', 'check_failure_threshold']


def _as_landmarks(pred: Any, gt: Any) -> tuple[np.ndarray, np.ndarray]:
    """Convert and validate predicted and ground-truth landmarks.

    Args:
        pred: Array-like of shape ``(N, K, 2)``.
        gt: Array-like of the same shape.

    Returns:
        tuple[np.ndarray, np.ndarray]: Both as ``float64`` arrays.

    Raises:
        ValueError: If the shapes differ or are not ``(N, K, 2)`` with ``N, K > 0``, or a value is
            not finite.
    """
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    if pred.shape != gt.shape:
        raise ValueError(f'pred and gt must have the same shape, got {pred.shape} and {gt.shape}')
    if pred.ndim != 3 or pred.shape[-1] != 2 or pred.shape[0] == 0 or pred.shape[1] == 0:
        raise ValueError(f'landmarks must have shape (N, K, 2) with N, K > 0, got {pred.shape}')
    if not (np.all(np.isfinite(pred)) and np.all(np.isfinite(gt))):
        raise ValueError('landmarks must be finite (found NaN or inf)')
    return pred, gt


def check_failure_threshold(value: float) -> float:
    """Return a failure threshold as a float, or raise unless it is a finite number >= 0."""
    return check_number('failure_threshold', value, low=0, high=np.inf, high_open=True)


def landmark_errors(pred: Any, gt: Any, left_eye: int = 0, right_eye: int = 1) -> np.ndarray:
    """Per-point localisation errors normalised by the inter-ocular distance.

    The error of a point is the Euclidean distance between its prediction and its ground truth,
    divided by the distance between the two ground-truth eye points of the same image.

    Args:
        pred: Predicted landmarks, array-like of shape ``(N, K, 2)``.
        gt: Ground-truth landmarks, same shape and frame as ``pred``.
        left_eye: Index of the left eye point. Defaults to 0.
        right_eye: Index of the right eye point. Defaults to 1.

    Returns:
        np.ndarray: ``float64`` normalised errors of shape ``(N, K)``.

    Raises:
        ValueError: If the inputs are malformed, the eye indices are out of range or equal, or the
            inter-ocular distance of an image is zero (the message names the image index).
    """
    pred, gt = _as_landmarks(pred, gt)
    num_points = gt.shape[1]
    for name, idx in (('left_eye', left_eye), ('right_eye', right_eye)):
        if not -num_points <= int(idx) < num_points:
            raise ValueError(f'{name}={idx} is out of range for {num_points} landmarks')
    if int(left_eye) % num_points == int(right_eye) % num_points:
        raise ValueError(f'left_eye and right_eye must differ, got {left_eye} and {right_eye}')
    inter_ocular = np.linalg.norm(gt[:, left_eye] - gt[:, right_eye], axis=-1)
    degenerate = np.flatnonzero(inter_ocular == 0)
    if degenerate.size:
        raise ValueError(
            f'The inter-ocular distance of sample {int(degenerate[0])} is zero (its eye points '
            f'{left_eye} and {right_eye} coincide); the error cannot be normalised'
        )
    distances = np.linalg.norm(pred - gt, axis=-1)
    return distances / inter_ocular[:, None]


def evaluate_landmarks(
    pred: Any,
    gt: Any,
    failure_threshold: float = 0.1,
    left_eye: int = 0,
    right_eye: int = 1,
) -> dict[str, Any]:
    """Summarise normalised landmark errors over a set of images.

    Args:
        pred: Predicted landmarks, array-like of shape ``(N, K, 2)``.
        gt: Ground-truth landmarks, same shape and frame as ``pred``.
        failure_threshold: An image fails when its mean normalised error is strictly greater
            than this. Defaults to 0.1.
        left_eye: Index of the left eye point. Defaults to 0.
        right_eye: Index of the right eye point. Defaults to 1.

    Returns:
        dict[str, Any]: ``mean_error`` (float, the mean over images of the per-image mean
        error), ``per_point_error`` (``(K,)`` array, the mean error of each point over images),
        ``failure_rate`` (float, fraction of failed images), ``max_error`` (float, the largest
        per-image mean error) and ``per_image_error`` (``(N,)`` array).

    Raises:
        ValueError: As :func:`landmark_errors`, or if ``failure_threshold`` is negative or not
            finite.
    """
    failure_threshold = check_failure_threshold(failure_threshold)
    errors = landmark_errors(pred, gt, left_eye=left_eye, right_eye=right_eye)
    per_image = errors.mean(axis=1)
    return dict(
        mean_error=float(per_image.mean()),
        per_point_error=errors.mean(axis=0),
        failure_rate=float(np.mean(per_image > failure_threshold)),
        max_error=float(per_image.max()),
        per_image_error=per_image,
    )
