import math

import cv2
import numpy as np
import pytest

from facerec.datasets.transforms import (
    ARCFACE_TEMPLATE_112,
    AlignFace,
    CenterCropResize,
    estimate_similarity_transform,
    get_template,
    transform_points,
)
from facerec.registry import TRANSFORMS


def test_similarity_transform_matches_hand_computation():
    # Landmarks = template rotated by 30 degrees, scaled by 2, shifted by (10, 20).
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
    rot = np.array([[c, -s], [s, c]])
    landmarks = 2.0 * ARCFACE_TEMPLATE_112 @ rot.T + np.array([10.0, 20.0])
    matrix = estimate_similarity_transform(landmarks, ARCFACE_TEMPLATE_112)
    # The inverse by hand: A = R^T / 2 = 0.5 * [[c, s], [-s, c]], b = -A @ (10, 20).
    expected = np.array(
        [
            [0.4330127, 0.25, -(0.4330127 * 10 + 0.25 * 20)],
            [-0.25, 0.4330127, -(-0.25 * 10 + 0.4330127 * 20)],
        ]
    )
    np.testing.assert_allclose(matrix, expected, atol=1e-6)
    np.testing.assert_allclose(transform_points(landmarks, matrix), ARCFACE_TEMPLATE_112, atol=1e-9)


def test_similarity_transform_is_least_squares_on_noisy_points():
    rng = np.random.default_rng(0)
    src = ARCFACE_TEMPLATE_112 * 1.7 + rng.normal(0, 2.0, (5, 2)) + 30
    matrix = estimate_similarity_transform(src, ARCFACE_TEMPLATE_112)

    def residual(m):
        return ((transform_points(src, m) - ARCFACE_TEMPLATE_112) ** 2).sum()

    best = residual(matrix)
    a, b = matrix[0, 0], matrix[1, 0]
    # Any perturbation of the 4 similarity parameters (a, b, tx, ty) increases the error.
    for delta in np.eye(4) * 1e-3:
        for sign in (1, -1):
            da, db, dx, dy = sign * delta
            m = np.array(
                [[a + da, -(b + db), matrix[0, 2] + dx], [b + db, a + da, matrix[1, 2] + dy]]
            )
            assert residual(m) > best
    # And it is a similarity (no shear, no reflection).
    assert matrix[0, 0] == pytest.approx(matrix[1, 1]) and matrix[0, 1] == pytest.approx(
        -matrix[1, 0]
    )


def test_similarity_transform_rejects_bad_input():
    with pytest.raises(ValueError):
        estimate_similarity_transform(np.zeros((5, 2)), ARCFACE_TEMPLATE_112)
    with pytest.raises(ValueError):
        estimate_similarity_transform(np.zeros((5, 3)), np.zeros((5, 3)))


def test_template_sizes():
    np.testing.assert_allclose(get_template(112), ARCFACE_TEMPLATE_112)
    np.testing.assert_allclose(get_template(128), ARCFACE_TEMPLATE_112 * 128 / 112)
    # Non-square crop: scaled to the short side and centred horizontally.
    np.testing.assert_allclose(get_template((112, 96))[:, 0], ARCFACE_TEMPLATE_112[:, 0] * 96 / 112)
    np.testing.assert_allclose(
        get_template((112, 96))[:, 1], ARCFACE_TEMPLATE_112[:, 1] * 96 / 112 + 8
    )
    # Zooming keeps the centre fixed.
    np.testing.assert_allclose(get_template(112, 0.5), (ARCFACE_TEMPLATE_112 - 56) * 0.5 + 56)


@pytest.mark.parametrize('size', [112, 128])
def test_align_face_puts_landmarks_on_template(size):
    # Draw dots at known positions, align, and find the dots on the template.
    img = np.zeros((250, 250, 3), np.uint8)
    c, s = math.cos(0.2), math.sin(0.2)
    pts = 1.5 * ARCFACE_TEMPLATE_112 @ np.array([[c, -s], [s, c]]).T + np.array([60.0, 20.0])
    for x, y in pts:
        cv2.circle(img, (round(x), round(y)), 3, (255, 255, 255), -1)
    align = TRANSFORMS.build(dict(type='AlignFace', output_size=size))
    out = align(dict(img=img, landmarks=pts))
    assert out['img'].shape == (size, size, 3)
    template = get_template(size)
    np.testing.assert_allclose(out['landmarks'], template, atol=1e-3)
    gray = out['img'][..., 0].astype(float)
    for x, y in template:
        ys, xs = np.mgrid[0:size, 0:size]
        mask = (xs - x) ** 2 + (ys - y) ** 2 < 36
        cy, cx = (np.array([ys[mask], xs[mask]]) * gray[mask]).sum(1) / gray[mask].sum()
        assert abs(cx - x) < 1.0 and abs(cy - y) < 1.0


def test_align_face_fallback_and_errors():
    img = np.arange(200 * 100 * 3, dtype=np.uint8).reshape(200, 100, 3)
    out = AlignFace(output_size=50)(dict(img=img.copy(), landmarks=None))
    assert out['img'].shape == (50, 50, 3)
    # Centre-crop fallback equals CenterCropResize.
    np.testing.assert_array_equal(out['img'], CenterCropResize(50)(dict(img=img.copy()))['img'])
    with pytest.raises(KeyError, match='x.jpg'):
        AlignFace(fallback='error')(dict(img=img, landmarks=None, img_path='x.jpg'))
    with pytest.raises(ValueError, match='Expected 5 landmarks'):
        AlignFace()(dict(img=img, landmarks=np.zeros((3, 2)), img_path='x.jpg'))
    with pytest.raises(ValueError):
        AlignFace(fallback='nope')


def test_center_crop_resize_geometry():
    img = np.zeros((100, 200, 3), np.uint8)
    img[40:60, 90:110] = 255  # a square at the centre
    out = CenterCropResize(output_size=50, crop_ratio=0.5)(dict(img=img, landmarks=[[100.0, 50.0]]))
    # Crop is the central 50x50 of the image, resized 1:1.
    assert out['img'].shape == (50, 50, 3)
    np.testing.assert_allclose(out['landmarks'], [[25.0, 25.0]], atol=1e-5)
    assert out['img'][25, 25].min() == 255 and out['img'][5, 5].max() == 0
    with pytest.raises(ValueError):
        CenterCropResize(crop_ratio=0)


def test_degenerate_landmarks_name_the_image_and_their_line():
    align = AlignFace(output_size=32)
    img = np.zeros((40, 40, 3), np.uint8)
    with pytest.raises(ValueError, match=r'Cannot align /d/a\.jpg: Source points are degenerate'):
        align(dict(img=img, img_path='/d/a.jpg', landmarks=np.zeros((5, 2), np.float32)))
    results = dict(
        img=img,
        img_path='/d/b.jpg',
        landmarks=np.full((5, 2), 7, np.float32),
        landmarks_source='/d/list.txt, line 3',
    )
    with pytest.raises(
        ValueError,
        match=r'/d/b\.jpg \(landmarks from /d/list\.txt, line 3\).*'
        r'degenerate.*\[\[7\.0, 7\.0\]',
    ):
        align(results)
