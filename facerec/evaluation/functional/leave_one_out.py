"""Leave-one-out identification: each item is identified against all the others."""

from __future__ import annotations

from typing import Any

import numpy as np

from facerec.utils.checks import check_choice

__all__ = ['leave_one_out_predictions', 'leave_one_out_accuracy']


def _unit(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norm, 1e-12)


def leave_one_out_predictions(embeddings: Any, labels: Any, mode: str = 'mean') -> np.ndarray:
    """The identity predicted for each item from all the other items.

    Args:
        embeddings: ``(N, D)`` embeddings (normalised here).
        labels: ``(N,)`` integer identities.
        mode: ``'mean'``: the identity whose mean normalised embedding (without the
            item itself) is most cosine-similar; ``'nearest'``: the identity of the
            most similar other item.

    Returns:
        np.ndarray: ``(N,)`` predicted labels.

    Raises:
        ValueError: Bad shapes, an unknown mode, or an identity with a single
            item (it could not be identified without itself).
    """
    emb = _unit(np.asarray(embeddings, dtype=np.float64))
    labels = np.asarray(labels).reshape(-1)
    if emb.ndim != 2 or len(emb) != len(labels) or len(emb) < 2:
        raise ValueError(
            f'expected (N >= 2, D) embeddings and N labels, got {emb.shape}, {labels.shape}'
        )
    check_choice('mode', mode, ('mean', 'nearest'))
    classes, counts = np.unique(labels, return_counts=True)
    if (counts < 2).any():
        raise ValueError(f'identities with a single item: {classes[counts < 2].tolist()}')
    if mode == 'nearest':
        sims = emb @ emb.T
        np.fill_diagonal(sims, -np.inf)
        return labels[sims.argmax(1)]
    onehot = labels[:, None] == classes[None, :]
    sums = onehot.T.astype(np.float64) @ emb  # (C, D)
    preds = np.empty(len(labels), dtype=labels.dtype)
    for i in range(len(emb)):
        centroids = sums - np.outer(onehot[i], emb[i])
        preds[i] = classes[(_unit(centroids) @ emb[i]).argmax()]
    return preds


def leave_one_out_accuracy(embeddings: Any, labels: Any, mode: str = 'mean') -> float:
    """Fraction of items whose leave-one-out prediction is their identity."""
    labels = np.asarray(labels).reshape(-1)
    return float((leave_one_out_predictions(embeddings, labels, mode) == labels).mean())
