"""Face identification measures: gallery/probe split, rank-k identification rate, TAR@FAR.

All functions are pure numpy. Probes are compared with every gallery item by cosine similarity.
Gallery items labelled ``-1`` are distractors: they belong to no probe's identity and only ever
compete with the true mates.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from facerec.utils.checks import check_probability

__all__ = [
    'DISTRACTOR_LABEL',
    'cosine_similarity_matrix',
    'evaluate_identification',
    'far_metric_name',
    'mate_ranks',
    'split_gallery_probe',
    'tar_at_far',
]

#: The label of a gallery distractor (an image of nobody among the probes).
DISTRACTOR_LABEL = -1


def cosine_similarity_matrix(a: Any, b: Any) -> np.ndarray:
    """Cosine similarity of every row of ``a`` with every row of ``b``.

    Rows are L2-normalised first; a zero row scores ``0`` with everything.

    Args:
        a: Array-like of shape ``(P, D)``.
        b: Array-like of shape ``(G, D)``.

    Returns:
        np.ndarray: ``float64`` array of shape ``(P, G)`` with values in ``[-1, 1]``.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f'expected (P, D) and (G, D) arrays, got {a.shape} and {b.shape}')

    def _normalise(x: np.ndarray) -> np.ndarray:
        norm = np.linalg.norm(x, axis=1, keepdims=True)
        return np.where(norm > 0, x / np.where(norm > 0, norm, 1.0), 0.0)

    return np.clip(_normalise(a) @ _normalise(b).T, -1.0, 1.0)


def split_gallery_probe(labels: Any, gallery: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Split items into a gallery and probes.

    Without ``gallery``, the first item (in order) of each identity is its gallery image and the
    identity's other items are probes; distractors (label ``-1``) are always gallery items.

    Args:
        labels: Integer identity of each item, shape ``(N,)``; ``-1`` marks a distractor.
        gallery: Optional boolean flag per item, True for gallery items. Distractors must be
            gallery items.

    Returns:
        tuple[np.ndarray, np.ndarray]: Indices of the gallery items and of the probes, ascending.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in 'iu':
        raise ValueError(f'labels must be a 1-D integer array, got {labels.dtype} {labels.shape}')
    if np.any(labels < DISTRACTOR_LABEL):
        raise ValueError(f'labels must be >= {DISTRACTOR_LABEL}, got {int(labels.min())}')
    distractor = labels == DISTRACTOR_LABEL
    if gallery is None:
        is_gallery = distractor.copy()
        _, first = np.unique(labels, return_index=True)
        is_gallery[first] = True
    else:
        is_gallery = np.asarray(gallery)
        if is_gallery.shape != labels.shape or is_gallery.dtype.kind not in 'biu':
            raise ValueError(
                f'gallery must be one boolean flag per item ({labels.shape[0]}), '
                f'got {is_gallery.dtype} {is_gallery.shape}'
            )
        is_gallery = is_gallery.astype(bool)
        bad = np.flatnonzero(distractor & ~is_gallery)
        if bad.size:
            raise ValueError(f'distractors (label -1) must be gallery items, item {int(bad[0])}')
    return np.flatnonzero(is_gallery), np.flatnonzero(~is_gallery)


def mate_ranks(similarity: Any, probe_labels: Any, gallery_labels: Any) -> np.ndarray:
    """Rank of the best-scoring true mate of each probe among the gallery items.

    The rank is ``1 +`` the number of gallery items of other identities (distractors included)
    scoring at least as high as the probe's best mate: ties count against the probe, and the
    probe's other mates never push it down. A probe without a mate in the gallery gets rank 0.

    Args:
        similarity: Array-like of shape ``(P, G)``.
        probe_labels: Identity of each probe, shape ``(P,)``.
        gallery_labels: Identity of each gallery item, shape ``(G,)``; ``-1`` for distractors.

    Returns:
        np.ndarray: ``int64`` ranks of shape ``(P,)``, ``1 .. G`` or 0.
    """
    sim = np.asarray(similarity, dtype=np.float64)
    probe_labels = np.asarray(probe_labels)
    gallery_labels = np.asarray(gallery_labels)
    if sim.shape != (probe_labels.shape[0], gallery_labels.shape[0]):
        raise ValueError(
            f'similarity must have shape ({probe_labels.shape[0]}, {gallery_labels.shape[0]}), '
            f'got {sim.shape}'
        )
    mate = (probe_labels[:, None] == gallery_labels[None, :]) & (
        probe_labels[:, None] != DISTRACTOR_LABEL
    )
    has_mate = mate.any(axis=1)
    best_mate = np.where(mate, sim, -np.inf).max(axis=1, initial=-np.inf)
    above = ((sim >= best_mate[:, None]) & ~mate).sum(axis=1)
    return np.where(has_mate, above + 1, 0).astype(np.int64)


def tar_at_far(genuine: Any, impostor: Any, far: float) -> float:
    """True accept rate at a false accept rate: the largest ``TAR(t)`` with ``FAR(t) <= far``.

    A pair is accepted when its score is at least the threshold. The best threshold lies just above
    the ``(k + 1)``-th highest impostor score, ``k = floor(far * #impostors)``, so the TAR is the
    fraction of genuine scores strictly above that score (all of them when ``k`` covers every
    impostor). This is the largest ``tpr`` with ``fpr <= far`` on ``sklearn.metrics.roc_curve``.

    Args:
        genuine: Scores of same-identity pairs.
        impostor: Scores of different-identity pairs.
        far: The false accept rate, in ``[0, 1]``.

    Returns:
        float: The TAR, or ``nan`` when either set of scores is empty.
    """
    genuine = np.asarray(genuine, dtype=np.float64).reshape(-1)
    impostor = np.asarray(impostor, dtype=np.float64).reshape(-1)
    far = check_probability('far', far)
    if genuine.size == 0 or impostor.size == 0:
        return float('nan')
    allowed = int(np.floor(far * impostor.size * (1.0 + 1e-9)))
    if allowed >= impostor.size:
        return 1.0
    cut = np.partition(impostor, impostor.size - 1 - allowed)[impostor.size - 1 - allowed]
    return float(np.mean(genuine > cut))


def far_metric_name(far: float) -> str:
    """The result key of a FAR target: ``1e-3`` -> ``'tar@far=1e-3'``."""
    mantissa, exponent = f'{far:.0e}'.split('e')
    return f'tar@far={mantissa}e{int(exponent)}'


def evaluate_identification(
    probe_features: Any,
    probe_labels: Any,
    gallery_features: Any,
    gallery_labels: Any,
    ranks: Sequence[int] = (1, 5),
    far_targets: Sequence[float] = (1e-3, 1e-4, 1e-6),
) -> dict[str, Any]:
    """Identification rates and TAR@FAR of probes against a gallery.

    Every probe is scored against every gallery item with the cosine similarity. The rank-k
    identification rate is the fraction of the probes with a mate in the gallery whose
    :func:`mate_ranks` is at most ``k``. For TAR@FAR, every probe-gallery pair of the same identity
    is genuine and every other pair (distractors included) is an impostor pair; a FAR target is
    reported only where there are at least ``1 / far`` impostor pairs, so that it can be reached.

    Args:
        probe_features: Array-like of shape ``(P, D)``.
        probe_labels: Identity of each probe, shape ``(P,)``; probes without a mate in the gallery
            count only as impostors.
        gallery_features: Array-like of shape ``(G, D)``.
        gallery_labels: Identity of each gallery item, shape ``(G,)``; ``-1`` for distractors.
        ranks: The ``k`` of the reported rank-k rates.
        far_targets: The false accept rates of the reported TARs.

    Returns:
        dict[str, Any]: ``rank<k>`` per rank and ``tar@far=<m>e<x>`` (e.g. ``tar@far=1e-3``) per
        reachable FAR target, as floats (``nan`` rank rates when no probe has a mate); the counts
        ``num_probes``, ``num_mated_probes``, ``num_gallery``, ``num_genuine``,
        ``num_impostor``; and the per-probe arrays ``mate_ranks`` and ``similarity``.
    """
    probe_labels = np.asarray(probe_labels).reshape(-1)
    gallery_labels = np.asarray(gallery_labels).reshape(-1)
    sim = cosine_similarity_matrix(probe_features, gallery_features)
    if sim.shape != (probe_labels.size, gallery_labels.size):
        raise ValueError(
            f'{sim.shape[0]} probe and {sim.shape[1]} gallery features for '
            f'{probe_labels.size} probe and {gallery_labels.size} gallery labels'
        )
    if sim.size == 0:
        raise ValueError('identification needs at least one probe and one gallery item')
    if any(int(k) < 1 for k in ranks):
        raise ValueError(f'ranks must be positive, got {list(ranks)}')
    probe_ranks = mate_ranks(sim, probe_labels, gallery_labels)
    mated = probe_ranks > 0
    genuine_mask = (probe_labels[:, None] == gallery_labels[None, :]) & (
        probe_labels[:, None] != DISTRACTOR_LABEL
    )
    genuine, impostor = sim[genuine_mask], sim[~genuine_mask]
    results: dict[str, Any] = {}
    for k in ranks:
        rate = np.mean(probe_ranks[mated] <= int(k)) if mated.any() else float('nan')
        results[f'rank{int(k)}'] = float(rate)
    for far in far_targets:
        if impostor.size * far >= 1.0 - 1e-9 and genuine.size:
            results[far_metric_name(far)] = tar_at_far(genuine, impostor, far)
    results.update(
        num_probes=int(probe_labels.size),
        num_mated_probes=int(mated.sum()),
        num_gallery=int(gallery_labels.size),
        num_genuine=int(genuine.size),
        num_impostor=int(impostor.size),
        mate_ranks=probe_ranks,
        similarity=sim,
    )
    return results
