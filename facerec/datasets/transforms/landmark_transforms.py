"""Face-box cropping and augmentations for landmark regression.

Every transform here keeps ``results['img']``, ``results['landmarks']``
(``(K, 2)`` x, y in pixels of the current image) and ``results['bbox']``
(``[x1, y1, x2, y2]``, when present) consistent. Coordinates follow OpenCV:
integer values are pixel centres, so an image of width W spans
``[-0.5, W - 0.5]``.

The geometric transforms also keep ``results['crop_matrix']`` (set by
:class:`CropFaceBox`) mapping pixels of the image before cropping to the
current image, so predictions can be mapped back with
``cv2.invertAffineTransform``. :class:`RandomFlip` does not update it.
"""

from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from facerec.registry import TRANSFORMS
from facerec.utils.checks import (
    check_number,
    check_positive_number,
    check_probability,
    check_size,
    to_2tuple,
)

from .alignment import landmarks_origin, transform_points
from .base import BaseTransform

SizeType = Union[int, Sequence[int]]


def compose_affine(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """The ``(2, 3)`` affine matrix applying ``inner`` first, then ``outer``."""
    outer3 = np.vstack([outer, [0.0, 0.0, 1.0]])
    inner3 = np.vstack([inner, [0.0, 0.0, 1.0]])
    return (outer3 @ inner3)[:2]


def transform_box(box: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The axis-aligned box ``[x1, y1, x2, y2]`` around the affine image of ``box``'s corners.

    Exact for scalings and translations; for rotations it is the smallest
    upright box holding the rotated one.
    """
    x1, y1, x2, y2 = np.asarray(box, dtype=np.float64)
    corners = transform_points(np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]]), matrix)
    return np.concatenate([corners.min(0), corners.max(0)]).astype(np.float32)


def points_extent(points: np.ndarray) -> np.ndarray:
    """The bounding box ``[min x, min y, max x, max y]`` of ``(K, 2)`` points."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(points) == 0 or not np.isfinite(points).all():
        raise ValueError('Landmarks must be a non-empty set of finite points')
    return np.concatenate([points.min(0), points.max(0)])


def expand_box(box: np.ndarray, expand: float = 1.0, aspect: Optional[float] = None) -> np.ndarray:
    """Scale a box about its centre and optionally give it an aspect ratio.

    Args:
        box: ``[x1, y1, x2, y2]``.
        expand: Factor on the width and height.
        aspect: If given, the width / height ratio the box is brought to by
            enlarging its shorter side (1.0: a square of side
            ``max(width, height) * expand``).

    Returns:
        The float64 box ``[x1, y1, x2, y2]``.
    """
    x1, y1, x2, y2 = np.asarray(box, dtype=np.float64)
    cx, cy = (x1 + x2) / 2.0, (y1 + y2) / 2.0
    w, h = (x2 - x1) * expand, (y2 - y1) * expand
    if aspect is not None:
        w, h = max(w, h * aspect), max(h, w / aspect)
    return np.array([cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0])


def landmark_box(points: np.ndarray, expand: float = 1.0, aspect: float = 1.0) -> np.ndarray:
    """The face box that :class:`CropFaceBox` derives from landmarks.

    The box is centred on the centre of the points' bounding box; for
    ``aspect=1`` it is a square of side ``max(x extent, y extent) * expand``
    (more generally the extent box scaled by ``expand`` and widened or heightened
    to ``aspect = width / height``).

    Raises:
        ValueError: The points have no extent (all at one place).
    """
    extent = points_extent(points)
    if max(extent[2] - extent[0], extent[3] - extent[1]) <= 1e-6:
        raise ValueError('Landmarks are degenerate (all at one place); cannot derive a face box')
    return expand_box(extent, expand, aspect)


def crop_box(
    img: np.ndarray,
    box: np.ndarray,
    output_size: SizeType,
    border_mode: int = cv2.BORDER_REPLICATE,
    antialias: bool = True,
) -> Tuple[np.ndarray, np.ndarray]:
    """Crop ``box`` out of ``img`` and resize it to ``output_size``.

    The box's outer corners map onto the crop's outer corners (with pixel
    centres at integers: ``(x1, y1) -> (-0.5, -0.5)`` and
    ``(x2, y2) -> (W - 0.5, H - 0.5)``). Parts of the box outside the image
    are filled by ``border_mode``.

    Args:
        img: ``HxW`` or ``HxWxC`` image.
        box: ``[x1, y1, x2, y2]`` with ``x2 > x1`` and ``y2 > y1``.
        output_size: Crop size, an int or ``(H, W)``.
        border_mode: OpenCV border mode for pixels outside the image.
        antialias: When shrinking by more than 2x, first shrink the image with
            area averaging so the crop does not alias.

    Returns:
        The crop and the ``(2, 3)`` float64 matrix mapping image to crop pixels.
    """
    out_h, out_w = to_2tuple(output_size, 'output_size')
    x1, y1, x2, y2 = np.asarray(box, dtype=np.float64)
    if not (x2 > x1 and y2 > y1) or not np.isfinite([x1, y1, x2, y2]).all():
        raise ValueError(f'Box must have positive width and height, got {box}')
    sx, sy = out_w / (x2 - x1), out_h / (y2 - y1)
    matrix = np.array([[sx, 0.0, -x1 * sx - 0.5], [0.0, sy, -y1 * sy - 0.5]])
    src, src_matrix = img, matrix
    if antialias and min(sx, sy) < 0.5:
        h, w = img.shape[:2]
        small_w = max(1, int(round(w * min(sx, 1.0))))
        small_h = max(1, int(round(h * min(sy, 1.0))))
        if (small_w, small_h) != (w, h):
            src = cv2.resize(img, (small_w, small_h), interpolation=cv2.INTER_AREA)
            fx, fy = small_w / w, small_h / h
            # Small-image pixel x_s sits at image position (x_s + 0.5) / fx - 0.5.
            to_img = np.array([[1 / fx, 0.0, 0.5 / fx - 0.5], [0.0, 1 / fy, 0.5 / fy - 0.5]])
            src_matrix = compose_affine(matrix, to_img)
    crop = cv2.warpAffine(
        src, src_matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=border_mode
    )
    return crop, matrix


def _image_name(results: dict) -> str:
    return str(results.get('img_path', '<image>'))


def _update_crop_matrix(results: dict, matrix: np.ndarray) -> None:
    previous = results.get('crop_matrix')
    results['crop_matrix'] = matrix if previous is None else compose_affine(matrix, previous)


@TRANSFORMS.register_module()
class CropFaceBox(BaseTransform):
    """Crop a face box and resize it to ``output_size``.

    The box comes from ``box_source``:

    * ``'bbox'``: ``results['bbox']``;
    * ``'landmarks'``: the bounding box of ``results['landmarks']`` (see
      :func:`landmark_box`: with ``square=True`` a square centred on the
      centre of the points' extent, side = max extent x ``expand``);
    * ``'image'``: the whole image.

    It is then scaled about its centre by ``expand`` and, with ``square``,
    widened or heightened to the output's aspect ratio (a square for a square
    output) so the face is not distorted. The crop is taken with
    ``cv2.warpAffine`` and a replicated border.

    Sets ``img``, ``img_shape``, ``landmarks`` (in crop pixels), ``bbox`` (in
    crop pixels, when present), ``crop_box`` (the box in the input image) and
    ``crop_matrix`` (the ``(2, 3)`` matrix mapping input to crop pixels,
    composed with an earlier ``crop_matrix`` when there is one).

    Args:
        output_size: Crop size, an int or ``(H, W)``.
        box_source: ``'bbox'``, ``'landmarks'`` or ``'image'``.
        expand: Factor on the box size (above 1 adds context).
        square: Keep the output's aspect ratio instead of stretching the box.
        antialias: Area-average before shrinking by more than 2x.
    """

    BOX_SOURCES = ('bbox', 'landmarks', 'image')

    def __init__(
        self,
        output_size: SizeType = 48,
        box_source: str = 'bbox',
        expand: float = 1.0,
        square: bool = True,
        antialias: bool = True,
    ):
        if box_source not in self.BOX_SOURCES:
            raise ValueError(f'box_source must be one of {self.BOX_SOURCES}, got {box_source!r}')
        self.expand = check_positive_number('expand', expand)
        self.output_size = check_size('output_size', output_size)
        self.box_source = box_source
        self.square = square
        self.antialias = antialias

    def _source_box(self, results: dict) -> np.ndarray:
        if self.box_source == 'image':
            h, w = results['img'].shape[:2]
            return np.array([-0.5, -0.5, w - 0.5, h - 0.5])
        if results.get(self.box_source) is None:
            raise KeyError(
                f"CropFaceBox(box_source={self.box_source!r}) needs results['{self.box_source}'] "
                f'for {_image_name(results)}'
            )
        if self.box_source == 'bbox':
            return np.asarray(results['bbox'], dtype=np.float64).reshape(4)
        try:
            return landmark_box(results['landmarks'], 1.0, aspect=None)
        except ValueError as e:
            raise ValueError(f'{e} ({landmarks_origin(results)})') from None

    def transform(self, results: dict) -> dict:
        out_h, out_w = self.output_size
        aspect = out_w / out_h if self.square else None
        box = expand_box(self._source_box(results), self.expand, aspect)
        if not (box[2] > box[0] and box[3] > box[1]):
            raise ValueError(f'Empty face box {box.tolist()} for {_image_name(results)}')
        crop, matrix = crop_box(
            results['img'], box, self.output_size, cv2.BORDER_REPLICATE, self.antialias
        )
        results['img'] = crop
        results['img_shape'] = crop.shape[:2]
        if results.get('landmarks') is not None:
            results['landmarks'] = transform_points(results['landmarks'], matrix).astype(np.float32)
        if results.get('bbox') is not None:
            results['bbox'] = transform_box(results['bbox'], matrix)
        results['crop_box'] = box.astype(np.float32)
        _update_crop_matrix(results, matrix)
        return results


@TRANSFORMS.register_module()
class RandomBoxJitter(BaseTransform):
    """Randomly shift and scale ``results['bbox']`` (put it before :class:`CropFaceBox`).

    With probability ``prob`` the box centre moves by up to ``shift`` of the
    box width (x) and height (y), each uniformly, and its size is multiplied
    by a factor drawn uniformly from ``scale``. The image and landmarks are
    unchanged.

    Args:
        shift: Largest shift as a fraction of the box size.
        scale: ``(low, high)`` range of the size factor.
        prob: Probability of jittering.
    """

    def __init__(
        self,
        shift: float = 0.1,
        scale: Tuple[float, float] = (0.9, 1.1),
        prob: float = 1.0,
    ):
        if len(scale) != 2 or not 0 < scale[0] <= scale[1]:
            raise ValueError(f'scale must be a (low, high) pair with 0 < low <= high, got {scale}')
        self.shift = check_number('shift', shift, low=0)
        self.scale = (float(scale[0]), float(scale[1]))
        self.prob = check_probability('prob', prob)

    def transform(self, results: dict) -> dict:
        if results.get('bbox') is None:
            raise KeyError(f"RandomBoxJitter needs results['bbox'] for {_image_name(results)}")
        if np.random.rand() >= self.prob:
            return results
        x1, y1, x2, y2 = np.asarray(results['bbox'], dtype=np.float64).reshape(4)
        w, h = x2 - x1, y2 - y1
        dx, dy = np.random.uniform(-self.shift, self.shift, 2)
        factor = np.random.uniform(*self.scale)
        cx, cy = (x1 + x2) / 2.0 + dx * w, (y1 + y2) / 2.0 + dy * h
        hw, hh = w * factor / 2.0, h * factor / 2.0
        results['bbox'] = np.array([cx - hw, cy - hh, cx + hw, cy + hh], dtype=np.float32)
        return results


@TRANSFORMS.register_module()
class RandomRotateFace(BaseTransform):
    """Rotate the image and its points about the image centre.

    With probability ``prob`` the image is rotated by an angle drawn uniformly
    from ``[-max_angle, max_angle]`` degrees (positive: counter-clockwise as
    seen), keeping its size, with a replicated border. Sets ``img``,
    ``landmarks``, ``bbox`` (the upright box around the rotated box),
    ``rotate_angle`` (0 when not rotated) and composes ``crop_matrix`` when
    present.

    Args:
        max_angle: Largest rotation in degrees, in ``[0, 180]``.
        prob: Probability of rotating.
    """

    def __init__(self, max_angle: float = 10.0, prob: float = 0.5):
        self.max_angle = check_number('max_angle', max_angle, 0, 180, unit='degrees')
        self.prob = check_probability('prob', prob)

    def transform(self, results: dict) -> dict:
        results['rotate_angle'] = 0.0
        if np.random.rand() >= self.prob:
            return results
        angle = float(np.random.uniform(-self.max_angle, self.max_angle))
        img = results['img']
        h, w = img.shape[:2]
        matrix = cv2.getRotationMatrix2D(((w - 1) / 2.0, (h - 1) / 2.0), angle, 1.0)
        results['img'] = cv2.warpAffine(
            img, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        if results.get('landmarks') is not None:
            results['landmarks'] = transform_points(results['landmarks'], matrix).astype(np.float32)
        if results.get('bbox') is not None:
            results['bbox'] = transform_box(results['bbox'], matrix)
        if results.get('crop_matrix') is not None:
            _update_crop_matrix(results, matrix)
        results['rotate_angle'] = angle
        return results


@TRANSFORMS.register_module()
class RandomBlur(BaseTransform):
    """Gaussian-blur the image with probability ``prob``; points are unchanged.

    The kernel size is drawn uniformly from the odd sizes ``3 .. max_kernel``
    (sigma derived from it by OpenCV). Sets ``img`` and ``blur_kernel`` (0
    when not blurred).

    Args:
        prob: Probability of blurring.
        max_kernel: Largest kernel size, odd and >= 3.
    """

    def __init__(self, prob: float = 0.2, max_kernel: int = 5):
        if not isinstance(max_kernel, (int, np.integer)) or max_kernel < 3 or max_kernel % 2 == 0:
            raise ValueError(f'max_kernel must be an odd integer >= 3, got {max_kernel!r}')
        self.prob = check_probability('prob', prob)
        self.max_kernel = max_kernel

    def transform(self, results: dict) -> dict:
        results['blur_kernel'] = 0
        if np.random.rand() >= self.prob:
            return results
        kernel = 2 * int(np.random.randint(1, self.max_kernel // 2 + 1)) + 1
        results['img'] = cv2.GaussianBlur(results['img'], (kernel, kernel), 0)
        results['blur_kernel'] = kernel
        return results
