"""Landmark transforms: the points must move exactly as the image content does.

Each test draws Gaussian dots centred on the landmarks, transforms the sample
and finds the dots again in the output image.
"""

import cv2
import numpy as np
import pytest

from facerec.datasets.transforms import (
    CropFaceBox,
    RandomBlur,
    RandomBoxJitter,
    RandomRotateFace,
    crop_box,
    get_template,
    landmark_box,
    transform_points,
)
from facerec.registry import TRANSFORMS

#: Landmarks of the synthetic face in a 200x160 (W x H) image.
POINTS = (get_template(112) + np.array([45.0, 15.0])).astype(np.float32)
BBOX = np.array([40.0, 20.0, 160.0, 150.0], dtype=np.float32)


def dot_image(points: np.ndarray, shape=(160, 200), sigma: float = 3.0) -> np.ndarray:
    """A black BGR image with a Gaussian dot of peak 250 centred on each point."""
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float64)
    img = np.zeros(shape, np.float64)
    for x, y in points:
        img = np.maximum(img, np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2)))
    return np.repeat((img * 250).round().astype(np.uint8)[..., None], 3, axis=2)


def find_dots(img: np.ndarray) -> np.ndarray:
    """Intensity-weighted centres of the bright blobs of an image, ``(N, 2)`` x, y."""
    gray = img[..., 0].astype(np.float64)
    mask = (gray > 0.3 * gray.max()).astype(np.uint8)
    num, labels = cv2.connectedComponents(mask)
    yy, xx = np.mgrid[0 : gray.shape[0], 0 : gray.shape[1]]
    centres = []
    for k in range(1, num):
        w = gray * (labels == k)
        centres.append([(w * xx).sum() / w.sum(), (w * yy).sum() / w.sum()])
    return np.array(centres)


def assert_dots_at(img: np.ndarray, points: np.ndarray, tol: float = 0.25) -> None:
    dots = find_dots(img)
    assert len(dots) == len(points), f'found {len(dots)} dots, expected {len(points)}'
    for p in np.asarray(points, dtype=np.float64):
        dist = np.linalg.norm(dots - p, axis=1).min()
        assert dist < tol, f'no dot within {tol} px of {p} (nearest {dist:.3f} px)'


def make_results(points=POINTS, bbox=BBOX, shape=(160, 200)) -> dict:
    results = dict(img=dot_image(points, shape), landmarks=points.copy(), img_path='face.jpg')
    if bbox is not None:
        results['bbox'] = bbox.copy()
    return results


def test_crop_face_box_from_bbox():
    results = make_results()
    # 120x130 box expanded 1.1 -> about 143 px onto 48: shrinks ~3x (area-averaged first).
    out = TRANSFORMS.build(dict(type='CropFaceBox', output_size=48, expand=1.1))(results)
    assert out['img'].shape == (48, 48, 3) and out['img_shape'] == (48, 48)
    assert out['landmarks'].dtype == np.float32 and out['landmarks'].shape == (5, 2)
    assert_dots_at(out['img'], out['landmarks'])
    matrix = out['crop_matrix']
    np.testing.assert_allclose(out['landmarks'], transform_points(POINTS, matrix), atol=1e-4)
    # The crop box's corners land on the crop's outer corners; it is a square around the bbox.
    x1, y1, x2, y2 = out['crop_box']
    assert x2 - x1 == pytest.approx(130 * 1.1) and y2 - y1 == pytest.approx(130 * 1.1)
    assert (x1 + x2) / 2 == pytest.approx(100) and (y1 + y2) / 2 == pytest.approx(85)
    np.testing.assert_allclose(
        transform_points(out['crop_box'].reshape(2, 2), matrix), [[-0.5, -0.5], [47.5, 47.5]]
    )
    # The bbox follows into crop pixels, and predictions map back through the inverse.
    np.testing.assert_allclose(out['bbox'], transform_points(BBOX.reshape(2, 2), matrix).ravel())
    back = transform_points(out['landmarks'], cv2.invertAffineTransform(matrix))
    np.testing.assert_allclose(back, POINTS, atol=1e-3)


def test_crop_face_box_from_landmarks_and_aspect():
    out = CropFaceBox(output_size=(40, 56), box_source='landmarks', expand=2.0)(make_results())
    assert out['img'].shape == (40, 56, 3)
    assert_dots_at(out['img'], out['landmarks'])
    # Extent of the points: centred box of their larger extent x 2, widened to 56:40.
    lo, hi = POINTS.min(0), POINTS.max(0)
    side = (hi - lo).max() * 2.0
    x1, y1, x2, y2 = out['crop_box']
    assert (y2 - y1) == pytest.approx(side, rel=1e-5)
    assert (x2 - x1) / (y2 - y1) == pytest.approx(56 / 40)
    np.testing.assert_allclose([(x1 + x2) / 2, (y1 + y2) / 2], (lo + hi) / 2, atol=1e-4)
    np.testing.assert_allclose(
        landmark_box(POINTS, 2.0), [*((lo + hi) / 2 - side / 2), *((lo + hi) / 2 + side / 2)]
    )


def test_crop_face_box_whole_image_matches_resize():
    img = dot_image(POINTS * 0.4, shape=(64, 80), sigma=2.0)
    out = CropFaceBox(output_size=(48, 60), box_source='image', square=False)(
        dict(img=img, landmarks=POINTS * 0.4)
    )
    ref = cv2.resize(img, (60, 48), interpolation=cv2.INTER_LINEAR)
    assert np.abs(out['img'].astype(int) - ref.astype(int)).max() <= 2
    np.testing.assert_allclose(out['landmarks'], (POINTS * 0.4 + 0.5) * 0.75 - 0.5, atol=1e-4)
    assert 'bbox' not in out


def test_crop_face_box_outside_image_and_composed_matrix():
    # A box hanging over the image border: replicated border, points still right.
    results = make_results(bbox=np.array([-20.0, -30.0, 140.0, 130.0], np.float32))
    out = CropFaceBox(output_size=64)(results)
    inside = [p for p in out['landmarks'] if (p > 3).all() and (p < 60).all()]
    assert len(inside) == 5
    assert_dots_at(out['img'], out['landmarks'])
    # A second crop composes the matrix: original image -> final crop.
    out = CropFaceBox(output_size=32, box_source='image')(out)
    np.testing.assert_allclose(
        transform_points(POINTS, out['crop_matrix']), out['landmarks'], atol=1e-3
    )


def test_crop_face_box_errors():
    with pytest.raises(ValueError, match='box_source'):
        CropFaceBox(box_source='face')
    with pytest.raises(ValueError, match='expand'):
        CropFaceBox(expand=0)
    with pytest.raises(ValueError, match='output_size'):
        CropFaceBox(output_size=0)
    with pytest.raises(KeyError, match=r"needs results\['bbox'\] for face.jpg"):
        CropFaceBox()(make_results(bbox=None))
    with pytest.raises(ValueError, match='degenerate'):
        CropFaceBox(box_source='landmarks')(make_results(points=np.full((5, 2), 50, np.float32)))
    with pytest.raises(ValueError, match='positive width'):
        crop_box(np.zeros((8, 8, 3), np.uint8), [4, 4, 4, 6], 8)


def test_random_box_jitter_ranges_and_crop():
    np.random.seed(0)
    jitter = TRANSFORMS.build(dict(type='RandomBoxJitter', shift=0.1, scale=(0.8, 1.2)))
    w, h = BBOX[2] - BBOX[0], BBOX[3] - BBOX[1]
    for _ in range(50):
        out = jitter(make_results())
        x1, y1, x2, y2 = out['bbox']
        assert abs((x1 + x2) / 2 - 100) <= 0.1 * w + 1e-3
        assert abs((y1 + y2) / 2 - 85) <= 0.1 * h + 1e-3
        factor = (x2 - x1) / w
        assert 0.8 - 1e-5 <= factor <= 1.2 + 1e-5
        assert (y2 - y1) / h == pytest.approx(factor, rel=1e-5)
        np.testing.assert_array_equal(out['landmarks'], POINTS)
    out = CropFaceBox(output_size=48, expand=1.2)(out)
    assert_dots_at(out['img'], out['landmarks'])
    unchanged = RandomBoxJitter(prob=0.0)(make_results())
    np.testing.assert_array_equal(unchanged['bbox'], BBOX)


def test_random_box_jitter_errors():
    with pytest.raises(ValueError, match='shift'):
        RandomBoxJitter(shift=-0.1)
    with pytest.raises(ValueError, match='scale'):
        RandomBoxJitter(scale=(1.2, 0.9))
    with pytest.raises(ValueError, match='scale'):
        RandomBoxJitter(scale=(0, 1))
    with pytest.raises(ValueError, match='prob'):
        RandomBoxJitter(prob=2)
    with pytest.raises(KeyError, match='bbox'):
        RandomBoxJitter()(make_results(bbox=None))


def test_random_rotate_face():
    np.random.seed(1)
    rotate = TRANSFORMS.build(dict(type='RandomRotateFace', max_angle=30, prob=1.0))
    for _ in range(3):
        out = rotate(make_results())
        angle = out['rotate_angle']
        assert 0 < abs(angle) <= 30 and out['img'].shape == (160, 200, 3)
        assert_dots_at(out['img'], out['landmarks'])
        # The rotation is about the image centre by the recorded angle (counter-clockwise).
        centre = np.array([99.5, 79.5])
        rad = np.deg2rad(angle)
        rot = np.array([[np.cos(rad), np.sin(rad)], [-np.sin(rad), np.cos(rad)]])
        np.testing.assert_allclose(out['landmarks'], (POINTS - centre) @ rot.T + centre, atol=1e-3)
        # The new bbox holds the rotated original box.
        x1, y1, x2, y2 = out['bbox']
        corners = transform_points(
            np.array([[40, 20], [160, 20], [160, 150], [40, 150]], float),
            cv2.getRotationMatrix2D(tuple(centre), angle, 1.0),
        )
        np.testing.assert_allclose([x1, y1, x2, y2], [*corners.min(0), *corners.max(0)], atol=1e-3)
    same = RandomRotateFace(prob=0.0)(make_results())
    assert same['rotate_angle'] == 0.0
    np.testing.assert_array_equal(same['landmarks'], POINTS)


def test_rotate_after_crop_keeps_crop_matrix():
    np.random.seed(2)
    out = CropFaceBox(output_size=64, expand=1.0)(make_results())
    out = RandomRotateFace(max_angle=20, prob=1.0)(out)
    assert_dots_at(out['img'], out['landmarks'])
    np.testing.assert_allclose(
        transform_points(POINTS, out['crop_matrix']), out['landmarks'], atol=1e-3
    )


def test_random_rotate_face_errors():
    with pytest.raises(ValueError, match='max_angle'):
        RandomRotateFace(max_angle=-1)
    with pytest.raises(ValueError, match='max_angle'):
        RandomRotateFace(max_angle=270)
    with pytest.raises(ValueError, match='prob'):
        RandomRotateFace(prob=-0.5)


def test_random_blur():
    np.random.seed(3)
    blur = TRANSFORMS.build(dict(type='RandomBlur', prob=1.0, max_kernel=7))
    kernels = set()
    for _ in range(12):
        results = make_results()
        before = results['img'].copy()
        out = blur(results)
        kernels.add(out['blur_kernel'])
        assert not np.array_equal(out['img'], before)
        np.testing.assert_array_equal(out['landmarks'], POINTS)
        assert_dots_at(out['img'], out['landmarks'])
    assert kernels == {3, 5, 7}
    same = RandomBlur(prob=0.0)(make_results())
    assert same['blur_kernel'] == 0
    np.testing.assert_array_equal(same['img'], dot_image(POINTS))


def test_random_blur_errors():
    for bad in (4, 1, 2.0):
        with pytest.raises(ValueError, match='max_kernel'):
            RandomBlur(max_kernel=bad)
    with pytest.raises(ValueError, match='prob'):
        RandomBlur(prob=1.5)
