"""Face alignment: a similarity transform from 5 facial points to a canonical template."""

from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from facerec.registry import TRANSFORMS
from facerec.utils.checks import check_number, check_positive_number, check_size, to_2tuple

from .base import BaseTransform

#: The 5-point template of ArcFace/insightface for 112x112 crops: left eye,
#: right eye, nose tip, left and right mouth corners ("left" = image left).
ARCFACE_TEMPLATE_112 = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)

#: The 5-point template of the reference toolkit's released recogniser
#: (face-reidentification-retail-0095), as fractions of the crop's width and height.
OPENVINO_TEMPLATE = np.array(
    [
        [0.31556875, 0.4615741],
        [0.68262291, 0.4615741],
        [0.50026249, 0.64050851],
        [0.34947187, 0.8246919],
        [0.65343645, 0.8246919],
    ],
    dtype=np.float64,
)

SizeType = Union[int, Sequence[int]]
TemplateType = Optional[Union[str, Sequence[Sequence[float]]]]


def get_template(
    output_size: SizeType = 112, template_scale: float = 1.0, template: TemplateType = None
) -> np.ndarray:
    """A 5-point template placed in an output crop of any size.

    The default (``'arcface'``) 112x112 template is scaled isotropically to fit
    the crop's shorter side and centred. ``'openvino'`` (:data:`OPENVINO_TEMPLATE`)
    or five ``(x, y)`` pairs given as fractions of the crop's width and height
    are scaled to the crop. ``template_scale`` then zooms the points about the
    crop centre (below 1 shows more context around the face).

    Args:
        output_size: Crop size, an int or ``(H, W)``.
        template_scale: Zoom of the template about the crop centre.
        template: ``None`` or ``'arcface'``, ``'openvino'``, or ``(5, 2)`` points
            in ``[0, 1]`` of the crop.

    Returns:
        ``(5, 2)`` array of ``(x, y)`` points in crop pixels.
    """
    h, w = check_size('output_size', output_size)
    template_scale = check_positive_number('template_scale', template_scale)
    if template is None or (isinstance(template, str) and template == 'arcface'):
        ratio = min(h, w) / 112.0
        pts = ARCFACE_TEMPLATE_112 * ratio
        pts = pts + np.array([(w - 112.0 * ratio) / 2.0, (h - 112.0 * ratio) / 2.0])
    else:
        pts = _relative_template(template) * np.array([w, h], dtype=np.float64)
    centre = np.array([w / 2.0, h / 2.0])
    return (pts - centre) * template_scale + centre


def _relative_template(template: Union[str, Sequence[Sequence[float]]]) -> np.ndarray:
    """The ``(5, 2)`` fractions of a named or given template, checked."""
    if isinstance(template, str):
        if template != 'openvino':
            raise ValueError(
                f"template must be 'arcface', 'openvino' or 5 points, got {template!r}"
            )
        return OPENVINO_TEMPLATE
    try:
        points = np.asarray(template, dtype=np.float64)
    except (TypeError, ValueError):
        points = None
    if points is None or points.shape != (5, 2) or not np.all((points >= 0) & (points <= 1)):
        raise ValueError(
            f'template points must be 5 (x, y) pairs in [0, 1] of the crop, got {template!r}'
        )
    return points


def estimate_similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity transform mapping ``src`` points onto ``dst``.

    Umeyama's closed form: the rotation, isotropic scale and translation that
    minimise ``sum ||dst_i - (s R src_i + t)||^2`` (no reflection).

    Args:
        src: ``(N, 2)`` source points, N >= 2.
        dst: ``(N, 2)`` target points.

    Returns:
        ``(2, 3)`` float64 matrix ``[s R | t]`` usable by ``cv2.warpAffine``.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2 or src.shape[0] < 2:
        raise ValueError(f'Expected two (N>=2, 2) point sets, got {src.shape} and {dst.shape}')
    src_mean, dst_mean = src.mean(0), dst.mean(0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    src_var = (src_c**2).sum() / len(src)
    if src_var < 1e-12:
        raise ValueError('Source points are degenerate (all at one place)')
    cov = dst_c.T @ src_c / len(src)
    u, sigma, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1.0
    rot = u @ np.diag(d) @ vt
    scale = (sigma * d).sum() / src_var
    trans = dst_mean - scale * rot @ src_mean
    return np.hstack([scale * rot, trans[:, None]])


def landmarks_origin(results: dict) -> str:
    """The image of a sample and the annotation line of its landmarks, for error messages.

    The line is ``results['landmarks_source']``, which datasets set (see
    :class:`facerec.datasets.annotation_io.LandmarkSourceMixin`).
    """
    name = str(results.get('img_path') or results.get('img_source') or '<image>')
    source = results.get('landmarks_source')
    return f'{name} (landmarks from {source})' if source else name


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a ``(2, 3)`` affine matrix to ``(N, 2)`` points."""
    points = np.asarray(points, dtype=np.float64)
    return points @ matrix[:, :2].T + matrix[:, 2]


def center_crop_resize(
    img: np.ndarray, output_size: SizeType, crop_ratio: float = 1.0
) -> Tuple[np.ndarray, np.ndarray]:
    """Crop the centre of ``img`` (aspect of the output, ``crop_ratio`` of the
    largest such box) and resize it to ``output_size``.

    Returns:
        The crop and the ``(2, 3)`` matrix mapping image to crop pixels.
    """
    out_h, out_w = to_2tuple(output_size, 'output_size')
    h, w = img.shape[:2]
    box_scale = min(h / out_h, w / out_w) * crop_ratio
    crop_h, crop_w = out_h * box_scale, out_w * box_scale
    x0, y0 = (w - crop_w) / 2.0, (h - crop_h) / 2.0
    s = 1.0 / box_scale
    matrix = np.array([[s, 0.0, -x0 * s], [0.0, s, -y0 * s]])
    crop = cv2.warpAffine(img, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR)
    return crop, matrix


@TRANSFORMS.register_module()
class AlignFace(BaseTransform):
    """Warp a face to the canonical 5-point template.

    Uses ``results['landmarks']`` (``(5, 2)`` x, y in image pixels); landmarks
    that fit no transform (all at one place) raise an error naming the image
    and, from ``results['landmarks_source']``, their annotation line. Without
    landmarks it falls back to a centre crop and resize (``fallback='center'``)
    or raises (``fallback='error'``). Landmarks, when present, are mapped into
    the aligned crop.

    Args:
        output_size: Crop size, int or ``(H, W)``; 112 for the ArcFace template,
            128 also common.
        template_scale: Zoom of the template about the crop centre.
        template: ``'arcface'`` (default), ``'openvino'`` or five ``(x, y)``
            points in ``[0, 1]`` of the crop, see :func:`get_template`.
        fallback: ``'center'`` or ``'error'`` for samples without landmarks.
        crop_ratio: Fraction of the image the centre-crop fallback keeps.
        border_mode: OpenCV border mode name for pixels outside the image.
    """

    def __init__(
        self,
        output_size: SizeType = 112,
        template_scale: float = 1.0,
        fallback: str = 'center',
        crop_ratio: float = 1.0,
        border_mode: str = 'constant',
        template: TemplateType = None,
    ):
        if fallback not in ('center', 'error'):
            raise ValueError(f"fallback must be 'center' or 'error', got {fallback!r}")
        modes = {'constant': cv2.BORDER_CONSTANT, 'replicate': cv2.BORDER_REPLICATE}
        if border_mode not in modes:
            raise ValueError(f'border_mode must be one of {list(modes)}, got {border_mode!r}')
        self.output_size = to_2tuple(output_size, 'output_size')
        self.template_scale = template_scale
        self.fallback = fallback
        self.crop_ratio = crop_ratio
        self.border_mode = border_mode
        self._border = modes[border_mode]
        self.template = template
        self._template = get_template(self.output_size, template_scale, template)

    def transform(self, results: dict) -> dict:
        img = results['img']
        landmarks: Optional[np.ndarray] = results.get('landmarks')
        out_h, out_w = self.output_size
        if landmarks is None:
            if self.fallback == 'error':
                raise KeyError(f'No landmarks for {results.get("img_path", "<image>")}')
            crop, matrix = center_crop_resize(img, self.output_size, self.crop_ratio)
        else:
            landmarks = np.asarray(landmarks, dtype=np.float64).reshape(-1, 2)
            if landmarks.shape[0] != len(self._template):
                raise ValueError(
                    f'Expected {len(self._template)} landmarks, got {landmarks.shape[0]} '
                    f'for {results.get("img_path", "<image>")}'
                )
            try:
                matrix = estimate_similarity_transform(landmarks, self._template)
            except ValueError as e:
                raise ValueError(
                    f'Cannot align {landmarks_origin(results)}: {e}; '
                    f'landmarks {np.round(landmarks, 2).tolist()}'
                ) from None
            crop = cv2.warpAffine(
                img, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=self._border
            )
            results['landmarks'] = transform_points(landmarks, matrix).astype(np.float32)
        results['img'] = crop
        results['img_shape'] = crop.shape[:2]
        results['align_matrix'] = matrix
        return results


@TRANSFORMS.register_module()
class CenterCropResize(BaseTransform):
    """Centre-crop ``crop_ratio`` of the image and resize it to ``output_size``."""

    def __init__(self, output_size: SizeType = 112, crop_ratio: float = 1.0):
        check_number('crop_ratio', crop_ratio, 0, 1, low_open=True)
        self.output_size = to_2tuple(output_size, 'output_size')
        self.crop_ratio = crop_ratio

    def transform(self, results: dict) -> dict:
        crop, matrix = center_crop_resize(results['img'], self.output_size, self.crop_ratio)
        if results.get('landmarks') is not None:
            results['landmarks'] = transform_points(results['landmarks'], matrix).astype(np.float32)
        results['img'] = crop
        results['img_shape'] = crop.shape[:2]
        return results
