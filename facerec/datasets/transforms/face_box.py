"""Face boxes known in advance (from the framing of a dataset)."""

from typing import Sequence

import numpy as np

from facerec.registry import TRANSFORMS
from facerec.utils.checks import check_positive_number

from .base import BaseTransform
from .landmark_transforms import landmark_box


@TRANSFORMS.register_module()
class FixedFaceBox(BaseTransform):
    """Set ``results['bbox']`` to a fixed box, for images whose framing is known.

    Aligned datasets (CelebA's aligned images, LFW's funneled images) place
    every face at nearly the same spot, so a fixed box stands in for a face
    detector without looking at any per-image annotation.

    Args:
        box: ``(x1, y1, x2, y2)``, as fractions of the image width and height
            when ``relative`` (default), else in pixels. Pixel coordinates
            follow OpenCV (integers at pixel centres), so the relative box
            ``(0, 0, 1, 1)`` is the whole image, ``(-0.5, -0.5, W - 0.5, H - 0.5)``.
        relative: Whether ``box`` is relative to the image size.
    """

    def __init__(self, box: Sequence[float], relative: bool = True):
        box = [float(v) for v in box]
        if len(box) != 4 or box[2] <= box[0] or box[3] <= box[1]:
            raise ValueError(f'box must be (x1, y1, x2, y2) with x2 > x1 and y2 > y1, got {box}')
        self.box = tuple(box)
        self.relative = relative

    def transform(self, results: dict) -> dict:
        box = np.array(self.box, dtype=np.float32)
        if self.relative:
            h, w = results['img'].shape[:2]
            box = box * np.array([w, h, w, h], dtype=np.float32) - 0.5
        results['bbox'] = box
        return results


@TRANSFORMS.register_module()
class BoxFromLandmarks(BaseTransform):
    """Set ``results['bbox']`` to the square face box around the landmarks.

    The same rule as ``CropFaceBox(box_source='landmarks')``: centred on the
    points' extent, side ``max(extent) * expand``. Setting the box separately
    lets :class:`RandomBoxJitter` perturb it before the crop.

    Args:
        expand: Side of the box relative to the landmarks' largest extent.
    """

    def __init__(self, expand: float = 2.0):
        self.expand = check_positive_number('expand', expand)

    def transform(self, results: dict) -> dict:
        points = np.asarray(results['landmarks'], dtype=np.float32).reshape(-1, 2)
        results['bbox'] = landmark_box(points, self.expand).astype(np.float32)
        return results
