"""The trivial landmark baseline: predict the training set's mean landmark positions."""

from typing import Optional

import numpy as np
from mmengine.config import Config

from .functional import evaluate_landmarks


def _normalised_targets(dataset, limit: Optional[int] = None) -> np.ndarray:
    """Packed ``gt_landmarks / (W, H)`` of the dataset's samples, shape ``(N, K, 2)``."""
    n = len(dataset) if limit is None else min(limit, len(dataset))
    targets = []
    for i in range(n):
        item = dataset[i]
        h, w = item['inputs'].shape[-2:]
        targets.append(item['data_samples'].gt_landmarks.numpy() / np.array([w, h]))
    return np.stack(targets)


def mean_landmark_baseline(cfg: Config, max_train_samples: Optional[int] = None) -> dict:
    """Evaluate "always predict the mean training landmarks" on the test set.

    The mean is taken over the targets the training pipeline actually feeds
    the model (normalised to its crop, augmentations included), and placed in
    each test crop, so the baseline and a trained model answer the same task.

    Args:
        cfg: A landmark config with ``train_dataloader`` and ``test_dataloader``.
        max_train_samples: Use only the first N training samples for the mean.

    Returns:
        The :func:`evaluate_landmarks` result, plus ``mean_landmarks`` (K, 2)
        in normalised crop coordinates.
    """
    from facerec.registry import DATASETS
    from facerec.utils import register_all_modules

    register_all_modules()
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    test_set = DATASETS.build(cfg.test_dataloader.dataset)
    mean = _normalised_targets(train_set, max_train_samples).mean(0)
    gt = _normalised_targets(test_set)
    result = evaluate_landmarks(np.broadcast_to(mean, gt.shape), gt)
    result['mean_landmarks'] = mean
    return result
