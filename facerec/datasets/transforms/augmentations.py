"""Photometric and occlusion augmentations of aligned faces.

Gaussian blur is provided by :class:`~facerec.datasets.transforms.RandomBlur`
and rotation of the image (and of its landmarks and boxes) by
:class:`~facerec.datasets.transforms.RandomRotateFace`, also registered here
as :class:`RandomRotation`.
"""

import numbers
from typing import Sequence, Tuple, Union

import cv2
import numpy as np

from facerec.registry import TRANSFORMS
from facerec.utils.checks import check_number, check_positive_number, check_probability, is_number

from .alignment import get_template
from .base import BaseTransform
from .landmark_transforms import RandomRotateFace, expand_box

__all__ = ['RandomRotation', 'ColorJitter', 'FaceCutOut']

#: Weights of the blue, green and red channels in the luma of a BGR image.
_BGR_LUMA = np.array([0.114, 0.587, 0.299], dtype=np.float32)


@TRANSFORMS.register_module()
class RandomRotation(RandomRotateFace):
    """Randomly rotate an aligned face about the image centre.

    The same transform as :class:`RandomRotateFace` (angle uniform in
    ``[-max_angle, max_angle]`` degrees with probability ``prob``, replicated
    border, landmarks, boxes and ``crop_matrix`` kept consistent, the angle in
    ``results['rotate_angle']``), under the name used in recognition pipelines.

    Args:
        max_angle: Largest rotation in degrees, in ``[0, 180]``.
        prob: Probability of rotating.
    """


@TRANSFORMS.register_module()
class ColorJitter(BaseTransform):
    """Randomly change the brightness, contrast, saturation and hue of a BGR image.

    With probability ``prob`` the four adjustments are applied in a random
    order, each with a factor drawn uniformly (a zero strength disables it):

    * brightness: ``x * f``, ``f`` in ``[max(0, 1 - brightness), 1 + brightness]``;
    * contrast: ``f * x + (1 - f) * mean(gray)``, ``f`` likewise from ``contrast``;
    * saturation: ``f * x + (1 - f) * gray``, ``f`` likewise from ``saturation``;
    * hue: the HSV hue turned by ``f`` of a full turn, ``f`` in ``[-hue, hue]``.

    ``gray`` is the luma ``0.114 B + 0.587 G + 0.299 R``. Values are clipped to
    ``[0, 255]`` after each step and the result is rounded back to the input
    dtype (uint8 images stay uint8). Single-channel images only get brightness
    and contrast. Sets ``results['color_jitter']``: the drawn factors and
    order, or None when the image was left unchanged.

    Args:
        brightness: Strength of the brightness change, >= 0. Defaults to 0.2.
        contrast: Strength of the contrast change, >= 0. Defaults to 0.2.
        saturation: Strength of the saturation change, >= 0. Defaults to 0.2.
        hue: Largest hue turn as a fraction of a full turn, in ``[0, 0.5]``.
            Defaults to 0.0.
        prob: Probability of jittering. Defaults to 0.5.
    """

    OPS = ('brightness', 'contrast', 'saturation', 'hue')

    def __init__(
        self,
        brightness: float = 0.2,
        contrast: float = 0.2,
        saturation: float = 0.2,
        hue: float = 0.0,
        prob: float = 0.5,
    ):
        self.brightness = check_number('brightness', brightness, low=0)
        self.contrast = check_number('contrast', contrast, low=0)
        self.saturation = check_number('saturation', saturation, low=0)
        self.hue = check_number('hue', hue, 0, 0.5)
        self.prob = check_probability('prob', prob)

    def factor_range(self, op: str) -> Tuple[float, float]:
        """The ``(low, high)`` range the factor of ``op`` is drawn from.

        Args:
            op: One of :attr:`OPS`.

        Returns:
            The range; ``(1, 1)`` (or ``(0, 0)`` for hue) when ``op`` is disabled.
        """
        if op == 'hue':
            return -self.hue, self.hue
        strength = getattr(self, op)
        return max(0.0, 1.0 - strength), 1.0 + strength

    @staticmethod
    def _gray(x: np.ndarray) -> np.ndarray:
        if x.ndim == 2 or x.shape[2] == 1:
            return x.reshape(x.shape[:2])
        return x @ _BGR_LUMA

    @classmethod
    def adjust(cls, x: np.ndarray, op: str, factor: float) -> np.ndarray:
        """Apply one adjustment to a float32 image with values in ``[0, 255]``.

        Args:
            x: ``HxW`` or ``HxWxC`` (BGR) float32 image.
            op: One of :attr:`OPS`.
            factor: The factor of the adjustment (the hue turn for ``'hue'``).

        Returns:
            The adjusted float32 image, clipped to ``[0, 255]``.
        """
        if op == 'brightness':
            out = x * factor
        elif op == 'contrast':
            out = factor * x + (1.0 - factor) * float(cls._gray(x).mean())
        elif op == 'saturation':
            gray = cls._gray(x).reshape(x.shape[:2] + (1,) * (x.ndim - 2))
            out = factor * x + (1.0 - factor) * gray
        elif op == 'hue':
            hsv = cv2.cvtColor(x / 255.0, cv2.COLOR_BGR2HSV)
            hsv[..., 0] = np.mod(hsv[..., 0] + factor * 360.0, 360.0)
            out = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR) * 255.0
        else:
            raise ValueError(f'Unknown adjustment {op!r}')
        return np.clip(out, 0.0, 255.0).astype(np.float32)

    def transform(self, results: dict) -> dict:
        results['color_jitter'] = None
        if np.random.rand() >= self.prob:
            return results
        img = results['img']
        color = img.ndim == 3 and img.shape[2] == 3
        ops = [op for op in self.OPS if color or op in ('brightness', 'contrast')]
        order = [ops[i] for i in np.random.permutation(len(ops))]
        factors = {op: float(np.random.uniform(*self.factor_range(op))) for op in order}
        x = img.astype(np.float32)
        for op in order:
            low, high = self.factor_range(op)
            if low != high:
                x = self.adjust(x, op, factors[op])
        if np.issubdtype(img.dtype, np.integer):
            x = np.rint(x)
        results['img'] = x.astype(img.dtype)
        results['color_jitter'] = dict(factors, order=tuple(order))
        return results


@TRANSFORMS.register_module()
class FaceCutOut(BaseTransform):
    """CutOut whose rectangle is centred on the inner face of an aligned crop.

    With probability ``prob`` a rectangle of the image is filled with ``fill``.
    Its height and width are ``size`` fractions of the image height and width,
    each drawn uniformly from ``size`` when it is a ``(low, high)`` pair. Its
    centre is drawn uniformly from the prior region:

    * ``'face'``: the box around the five points of the ArcFace template (eyes,
      nose tip, mouth corners), placed in the image as
      :func:`~facerec.datasets.transforms.get_template` places it for an aligned
      crop of this size and ``template_scale`` (for 112x112: x in about
      ``[38, 74]``, y in ``[51, 93]``), scaled about its centre by
      ``prior_expand`` (1.2: x in ``[35, 77]``, y in ``[47, 96]``). The images
      must be aligned to that template (:class:`AlignFace` with the same
      ``template_scale``), so the rectangle hides part of the eyes, nose or mouth;
    * ``'uniform'``: the whole image (plain CutOut).

    The rectangle is clipped to the image. Sets ``results['cutout_box']``, the
    integer ``[x1, y1, x2, y2]`` (``x2``, ``y2`` exclusive) that was filled, or
    None when nothing was.

    Args:
        prob: Probability of cutting out. Defaults to 0.5.
        size: Fraction of the image height and width covered by the rectangle,
            a number or a ``(low, high)`` range, in ``(0, 1]``.
            Defaults to ``(0.2, 0.4)``.
        prior: ``'face'`` or ``'uniform'``. Defaults to ``'face'``.
        prior_expand: Scale of the template box about its centre, > 0.
            Defaults to 1.2.
        template_scale: Template zoom used by the alignment. Defaults to 1.0.
        fill: Value of the filled pixels, a number or one per channel.
            Defaults to 0.
    """

    PRIORS = ('face', 'uniform')

    def __init__(
        self,
        prob: float = 0.5,
        size: Union[float, Sequence[float]] = (0.2, 0.4),
        prior: str = 'face',
        prior_expand: float = 1.2,
        template_scale: float = 1.0,
        fill: Union[float, Sequence[float]] = 0,
    ):
        self.prob = check_probability('prob', prob)
        if is_number(size):
            size = (size, size)
        size = tuple(float(v) for v in size)
        if len(size) != 2 or not 0 < size[0] <= size[1] <= 1:
            raise ValueError(
                f'size must be a fraction or a (low, high) range in (0, 1], got {size}'
            )
        if prior not in self.PRIORS:
            raise ValueError(f'prior must be one of {self.PRIORS}, got {prior!r}')
        self.size = size
        self.prior = prior
        self.prior_expand = check_positive_number('prior_expand', prior_expand)
        self.template_scale = check_positive_number('template_scale', template_scale)
        self.fill = fill if isinstance(fill, numbers.Real) else tuple(fill)

    def prior_region(self, height: int, width: int) -> np.ndarray:
        """The region the rectangle centre is drawn from, in pixels of the image.

        Args:
            height: Image height.
            width: Image width.

        Returns:
            The float64 box ``[x1, y1, x2, y2]``, within ``[0, width - 1]`` x
            ``[0, height - 1]``.
        """
        limits = np.array([width - 1.0, height - 1.0, width - 1.0, height - 1.0])
        if self.prior == 'uniform':
            return np.concatenate([np.zeros(2), limits[2:]])
        points = get_template((height, width), self.template_scale)
        extent = np.concatenate([points.min(0), points.max(0)])
        box = expand_box(extent, self.prior_expand)
        return np.clip(box, 0.0, limits)

    def transform(self, results: dict) -> dict:
        results['cutout_box'] = None
        if np.random.rand() >= self.prob:
            return results
        img = results['img']
        h, w = img.shape[:2]
        x1, y1, x2, y2 = self.prior_region(h, w)
        cx, cy = np.random.uniform(x1, x2), np.random.uniform(y1, y2)
        box_w = np.random.uniform(*self.size) * w
        box_h = np.random.uniform(*self.size) * h
        left = int(np.clip(np.rint(cx - box_w / 2.0), 0, w))
        top = int(np.clip(np.rint(cy - box_h / 2.0), 0, h))
        right = int(np.clip(np.rint(cx + box_w / 2.0), 0, w))
        bottom = int(np.clip(np.rint(cy + box_h / 2.0), 0, h))
        out = img.copy()
        out[top:bottom, left:right] = np.asarray(self.fill, dtype=img.dtype)
        results['img'] = out
        results['cutout_box'] = np.array([left, top, right, bottom], dtype=np.int64)
        return results
