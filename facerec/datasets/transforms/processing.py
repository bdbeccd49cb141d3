"""Augmentations of aligned faces."""

from typing import Sequence, Tuple

import numpy as np

from facerec.registry import TRANSFORMS
from facerec.utils.checks import check_probability

from .base import BaseTransform

#: Left/right point pairs of the 5-point layout (eyes, mouth corners).
FIVE_POINT_FLIP_PAIRS = ((0, 1), (3, 4))


@TRANSFORMS.register_module()
class RandomFlip(BaseTransform):
    """Flip the image horizontally with probability ``prob``.

    Landmarks, when present, are mirrored and their left/right points swapped
    so index 0 stays the image-left eye.

    Args:
        prob: Probability of flipping.
        flip_pairs: Index pairs of landmarks that swap under a flip.
    """

    def __init__(
        self, prob: float = 0.5, flip_pairs: Sequence[Tuple[int, int]] = FIVE_POINT_FLIP_PAIRS
    ):
        self.prob = check_probability('prob', prob)
        self.flip_pairs = tuple(tuple(p) for p in flip_pairs)

    def transform(self, results: dict) -> dict:
        flip = bool(np.random.rand() < self.prob)
        results['flip'] = flip
        if not flip:
            return results
        img = results['img']
        results['img'] = np.ascontiguousarray(img[:, ::-1])
        landmarks = results.get('landmarks')
        if landmarks is not None:
            pts = np.array(landmarks, dtype=np.float32).reshape(-1, 2)
            pts[:, 0] = img.shape[1] - 1 - pts[:, 0]
            for a, b in self.flip_pairs:
                pts[[a, b]] = pts[[b, a]]
            results['landmarks'] = pts
        return results
