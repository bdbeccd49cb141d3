"""A gallery of known people: normalised face embeddings with names, saved without pickle.

File format: a ``.npz`` archive read with ``allow_pickle=False``, holding only
plain arrays: ``embeddings`` (M, D) float32, ``labels`` (M,) int64 (index into
``names``), ``names`` and ``sources`` (unicode strings), and ``meta`` (a JSON
string: format version, model description and fingerprint).
"""

import json
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ['FaceGallery', 'GalleryError', 'MATCH_MODES', 'PROBE_MIN_SIMILARITY', 'l2_normalise']

#: How a face is compared with a person: ``mean`` takes the cosine similarity to the
#: mean of the person's normalised embeddings (renormalised), ``nearest`` the best
#: similarity to any one of them.
MATCH_MODES = ('mean', 'nearest')

#: Lowest mean cosine similarity of two models' probe embeddings for them to count as one model.
PROBE_MIN_SIMILARITY = 0.9

_FORMAT = 'facerec-gallery'
_VERSION = 1


class GalleryError(ValueError):
    """A gallery that is empty, unreadable or from another model."""


def l2_normalise(x: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Rows of ``x`` scaled to unit length (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norm, eps)


class FaceGallery:
    """Known people and their face embeddings.

    Args:
        embeddings: ``(M, D)`` embeddings, one per enrolled photo (normalised here).
        labels: ``(M,)`` index of each embedding's person in ``names``.
        names: The people's names.
        sources: The photo each embedding comes from.
        meta: The embedding model's description (``input_size``, ``alignment``,
            ``fingerprint``...), compared with the model used to recognise.
    """

    def __init__(
        self,
        embeddings: np.ndarray,
        labels: Sequence[int],
        names: Sequence[str],
        sources: Optional[Sequence[str]] = None,
        meta: Optional[Dict[str, Any]] = None,
    ):
        embeddings = np.asarray(embeddings, dtype=np.float32)
        labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        names = [str(n) for n in names]
        if embeddings.ndim != 2 or embeddings.shape[0] == 0 or embeddings.shape[1] == 0:
            raise GalleryError(
                f'The gallery is empty or malformed: embeddings of shape {embeddings.shape}'
            )
        if len(labels) != len(embeddings):
            raise GalleryError(f'{len(embeddings)} embeddings but {len(labels)} labels')
        if not names or len(set(names)) != len(names):
            raise GalleryError(f'Gallery names must be unique and non-empty, got {names}')
        if labels.min() < 0 or labels.max() >= len(names):
            raise GalleryError(f'Gallery labels must index the {len(names)} names')
        missing = sorted(set(range(len(names))) - set(labels.tolist()))
        if missing:
            raise GalleryError(f'No embedding for {[names[i] for i in missing]}')
        if not np.isfinite(embeddings).all():
            raise GalleryError('Gallery embeddings contain NaN or inf')
        self.embeddings = l2_normalise(embeddings)
        self.labels = labels
        self.names = names
        self.sources = [str(s) for s in sources] if sources is not None else [''] * len(labels)
        if len(self.sources) != len(labels):
            raise GalleryError(f'{len(labels)} embeddings but {len(self.sources)} sources')
        self.meta = dict(meta or {})
        self._centroids = l2_normalise(
            np.stack([self.embeddings[self.labels == i].mean(0) for i in range(len(names))])
        )

    @property
    def embedding_dim(self) -> int:
        return int(self.embeddings.shape[1])

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        return (
            f'FaceGallery({len(self.names)} people, {len(self.labels)} embeddings of '
            f'dimension {self.embedding_dim})'
        )

    def similarities(self, queries: np.ndarray, mode: str = 'mean') -> np.ndarray:
        """Cosine similarity of each query with each person, ``(N, len(names))``."""
        if mode not in MATCH_MODES:
            raise ValueError(f'mode must be one of {MATCH_MODES}, got {mode!r}')
        queries = np.asarray(queries, dtype=np.float32)
        if queries.ndim == 2 and len(queries) == 0:
            return np.zeros((0, len(self.names)), np.float32)
        if queries.ndim != 2 or queries.shape[1] != self.embedding_dim:
            raise GalleryError(
                f'Embeddings of shape {queries.shape} cannot be compared with a gallery of '
                f'dimension {self.embedding_dim}'
            )
        queries = l2_normalise(queries)
        if mode == 'mean':
            return queries @ self._centroids.T
        per_sample = queries @ self.embeddings.T
        out = np.full((len(queries), len(self.names)), -np.inf, dtype=np.float32)
        for i in range(len(self.names)):
            out[:, i] = per_sample[:, self.labels == i].max(1)
        return out

    def match(
        self, queries: np.ndarray, threshold: float, mode: str = 'mean'
    ) -> Tuple[np.ndarray, np.ndarray]:
        """The best person for each query.

        Args:
            queries: ``(N, D)`` embeddings.
            threshold: Lowest similarity of a match; below it the face is unknown.
            mode: One of :data:`MATCH_MODES`.

        Returns:
            tuple: ``(N,)`` person indices (``-1`` for unknown faces) and their
            ``(N,)`` similarities (to the best person, known or not).
        """
        sims = self.similarities(queries, mode)
        if len(sims) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        best = sims.argmax(1)
        score = sims[np.arange(len(sims)), best]
        return np.where(score >= threshold, best, -1).astype(np.int64), score.astype(np.float32)

    def name_of(self, index: int, unknown: str = 'unknown') -> str:
        return unknown if index < 0 else self.names[index]

    def save(self, path: str) -> str:
        """Write the gallery as ``.npz`` (the suffix is added when missing); returns the path."""
        if not path.endswith('.npz'):
            path = path + '.npz'
        folder = osp.dirname(osp.abspath(path))
        os.makedirs(folder, exist_ok=True)
        meta = dict(self.meta, format=_FORMAT, version=_VERSION)
        tmp = path + '.tmp.npz'
        np.savez(
            tmp,
            embeddings=self.embeddings,
            labels=self.labels,
            names=np.array(self.names, dtype=np.str_),
            sources=np.array(self.sources, dtype=np.str_),
            meta=np.array(json.dumps(meta, sort_keys=True)),
        )
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str) -> 'FaceGallery':
        """Read a gallery written by :meth:`save` (no pickled objects are accepted)."""
        if not osp.isfile(path):
            raise FileNotFoundError(f'Gallery file not found: {path}')
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except ValueError as err:
            raise GalleryError(f'{path}: not a facerec gallery (it needs pickle: {err})') from err
        except (OSError, EOFError) as err:
            raise GalleryError(f'{path}: not a readable .npz gallery ({err})') from err
        required = {'embeddings', 'labels', 'names', 'meta'}
        if not required <= set(arrays):
            raise GalleryError(
                f'{path}: not a facerec gallery (missing {sorted(required - set(arrays))})'
            )
        try:
            meta = json.loads(str(arrays['meta']))
        except json.JSONDecodeError as err:
            raise GalleryError(f'{path}: unreadable gallery description ({err})') from err
        if meta.get('format') != _FORMAT or meta.get('version') != _VERSION:
            raise GalleryError(
                f'{path}: gallery format {meta.get("format")!r} version {meta.get("version")!r}; '
                f'this facerec reads {_FORMAT!r} version {_VERSION}'
            )
        sources = arrays.get('sources')
        try:
            return cls(
                arrays['embeddings'],
                arrays['labels'],
                arrays['names'].tolist(),
                None if sources is None else sources.tolist(),
                meta,
            )
        except GalleryError as err:
            raise GalleryError(f'{path}: {err}') from err

    def check_model(self, meta: Dict[str, Any], path: str = '<gallery>') -> None:
        """Raise :class:`GalleryError` unless the gallery was enrolled with a model like ``meta``.

        ``meta`` is :meth:`FaceRecognitionPipeline.describe_model` of the model used to
        recognise. Compared: the embedding size, the input size and alignment; then
        the weights: the same checkpoint (``fingerprint``, its SHA-256, which the
        PyTorch model and its exports share) passes; otherwise the two models'
        embeddings of the fixed probe images (``probe_embeddings``) must agree (mean
        cosine similarity at least :data:`PROBE_MIN_SIMILARITY`).
        """
        theirs, ours = self.meta.get('model', {}), meta
        problems: List[str] = []
        dim = ours.get('output_dim')
        if dim is not None and int(dim) != self.embedding_dim:
            problems.append(f'embedding size {self.embedding_dim} vs {dim}')
        for key in ('input_size', 'alignment'):
            if key in theirs and key in ours and _canonical(theirs[key]) != _canonical(ours[key]):
                problems.append(f'{key} {theirs[key]} vs {ours[key]}')
        same_weights = bool(theirs.get('fingerprint')) and theirs.get('fingerprint') == ours.get(
            'fingerprint'
        )
        a, b = theirs.get('probe_embeddings'), ours.get('probe_embeddings')
        if not problems and not same_weights and a is not None and b is not None:
            a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
            if a.shape != b.shape:
                problems.append(f'probe embeddings of shape {a.shape} vs {b.shape}')
            else:
                sim = float((l2_normalise(a) * l2_normalise(b)).sum(-1).mean())
                if sim < PROBE_MIN_SIMILARITY:
                    problems.append(
                        f'different weights: {theirs.get("source", "?")} vs '
                        f'{ours.get("source", "?")}, probe similarity {sim:.3f}'
                    )
        if problems:
            raise GalleryError(
                f'{path} was enrolled with another model ({"; ".join(problems)}): its '
                'embeddings cannot be compared; enroll the gallery again with this model'
            )


def _canonical(value: Any) -> str:
    def fix(v):
        if isinstance(v, dict):
            return {k: fix(x) for k, x in sorted(v.items())}
        if isinstance(v, (list, tuple)):
            return [fix(x) for x in v]
        if isinstance(v, int) and not isinstance(v, bool):
            return float(v)
        return v

    return json.dumps(fix(value), sort_keys=True)
