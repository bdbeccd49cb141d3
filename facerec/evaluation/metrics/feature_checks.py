"""Checks on the embeddings a metric receives."""

from typing import Sequence

import numpy as np


def sample_name(sample: dict) -> str:
    """The image a data sample comes from: its path, its source in a packed file, or its
    index."""
    for key in ('img_path', 'img_source'):
        if sample.get(key):
            return str(sample[key])
    return f'sample {sample.get("sample_idx")}'


def check_finite_features(
    samples: Sequence[dict], features: Sequence[np.ndarray], shown: int = 3
) -> None:
    """Refuse NaN or inf embeddings, which would otherwise score as chance.

    Args:
        samples: The data samples of a batch (as dicts).
        features: Their embeddings, in the same order.
        shown: How many images the message names.

    Raises:
        ValueError: Some embedding is not finite; the message names the first images.
    """
    bad = [sample_name(s) for s, f in zip(samples, features) if not np.isfinite(f).all()]
    if bad:
        more = f' and {len(bad) - shown} more' if len(bad) > shown else ''
        raise ValueError(
            f'The model gave non-finite embeddings (NaN or inf) for {len(bad)} of the '
            f'{len(samples)} images of a batch: {", ".join(bad[:shown])}{more}; check the '
            'checkpoint weights and the input images'
        )
