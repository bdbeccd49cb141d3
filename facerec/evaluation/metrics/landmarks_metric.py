"""Facial landmark localisation metric: normalised mean error and failure rate."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement

from facerec.registry import METRICS

from ..functional import check_failure_threshold, evaluate_landmarks

__all__ = ['LandmarksMetric']


def _to_numpy_landmarks(value: Any) -> np.ndarray:
    """Convert landmarks (tensor or array-like) to a ``float64`` numpy array of shape (K, 2)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().to(device='cpu', dtype=torch.float64).numpy()
    return np.asarray(value, dtype=np.float64).reshape(-1, 2)


def _get_field(sample: Any, key: str, index: int) -> Any:
    """Read ``key`` from a data sample given as a dict or a data element."""
    if isinstance(sample, BaseDataElement):
        sample = sample.to_dict()
    if key not in sample:
        raise KeyError(
            f'LandmarksMetric needs "{key}" in every data sample; sample {index} of the batch '
            'has none'
        )
    return sample[key]


@METRICS.register_module()
class LandmarksMetric(BaseMetric):
    """Landmark localisation error normalised by the inter-ocular distance.

    Every data sample carries ``pred_landmarks`` and ``gt_landmarks`` of shape ``(K, 2)`` in the
    same pixel frame. The errors are computed with
    :func:`facerec.evaluation.functional.evaluate_landmarks`.

    Args:
        failure_threshold: An image fails when its mean normalised error is strictly greater
            than this. Defaults to 0.1.
        left_eye: Index of the left eye point. Defaults to 0.
        right_eye: Index of the right eye point. Defaults to 1.
        collect_device: Device used to collect results across ranks, ``'cpu'`` or ``'gpu'``.
            Defaults to ``'cpu'``.
        prefix: Prefix of the metric names. Defaults to None, which uses ``'landmarks'``.
    """

    default_prefix: str | None = 'landmarks'

    def __init__(
        self,
        failure_threshold: float = 0.1,
        left_eye: int = 0,
        right_eye: int = 1,
        collect_device: str = 'cpu',
        prefix: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        failure_threshold = check_failure_threshold(failure_threshold)
        if int(left_eye) == int(right_eye):
            raise ValueError(f'left_eye and right_eye must differ, got {left_eye} and {right_eye}')
        self.failure_threshold = failure_threshold
        self.left_eye = int(left_eye)
        self.right_eye = int(right_eye)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Store the predicted and ground-truth landmarks of every sample of a batch.

        Args:
            data_batch: The batch from the dataloader (unused).
            data_samples: The model outputs as dicts (or data elements), each with
                ``'pred_landmarks'`` and ``'gt_landmarks'`` of shape ``(K, 2)``.
        """
        for i, sample in enumerate(data_samples):
            pred = _to_numpy_landmarks(_get_field(sample, 'pred_landmarks', i))
            gt = _to_numpy_landmarks(_get_field(sample, 'gt_landmarks', i))
            if pred.shape != gt.shape:
                raise ValueError(
                    f'pred_landmarks and gt_landmarks of sample {i} of the batch have different '
                    f'shapes {pred.shape} and {gt.shape}'
                )
            self.results.append((pred, gt))

    def compute_metrics(self, results: list) -> dict[str, float]:
        """Compute the normalised errors over all collected samples.

        Args:
            results: ``(pred, gt)`` pairs of ``(K, 2)`` arrays collected from all ranks.

        Returns:
            dict[str, float]: ``mean_error``, ``failure_rate``, ``max_error`` and ``error_p{i}``,
            the mean error of point ``i``, for every point.

        Raises:
            ValueError: If no sample was processed, the samples have different numbers of points,
                or the inter-ocular distance of a sample is zero.
        """
        if not results:
            raise ValueError('LandmarksMetric got no samples to evaluate')
        num_points = {pred.shape[0] for pred, _ in results}
        if len(num_points) != 1:
            raise ValueError(
                f'All samples must have the same number of landmarks, got {sorted(num_points)}'
            )
        pred = np.stack([p for p, _ in results])
        gt = np.stack([g for _, g in results])
        stats = evaluate_landmarks(
            pred,
            gt,
            failure_threshold=self.failure_threshold,
            left_eye=self.left_eye,
            right_eye=self.right_eye,
        )

        per_point = stats['per_point_error']
        print_log(f'Normalized mean error: {stats["mean_error"]:.4f}', logger='current')
        print_log('Per-point error: ' + ' '.join(f'{e:.3f}' for e in per_point), logger='current')
        print_log(
            f'Failure rate @{self.failure_threshold:g}: {stats["failure_rate"]:.4f}',
            logger='current',
        )

        metrics = dict(
            mean_error=float(stats['mean_error']),
            failure_rate=float(stats['failure_rate']),
            max_error=float(stats['max_error']),
        )
        for i, error in enumerate(per_point):
            metrics[f'error_p{i}'] = float(error)
        return metrics
