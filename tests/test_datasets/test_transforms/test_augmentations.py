import cv2
import numpy as np
import pytest

from facerec.datasets.transforms import (
    ColorJitter,
    FaceCutOut,
    RandomBlur,
    RandomRotateFace,
    RandomRotation,
    get_template,
)
from facerec.registry import TRANSFORMS


def face(size=112, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (size, size, 3), dtype=np.uint8)


def test_registered_and_reused():
    for name in ('RandomRotation', 'ColorJitter', 'FaceCutOut', 'RandomBlur'):
        assert TRANSFORMS.get(name) is not None
    assert issubclass(RandomRotation, RandomRotateFace)
    assert TRANSFORMS.get('RandomBlur') is RandomBlur


def test_random_rotation():
    np.random.seed(0)
    img = face()
    pts = get_template(112).astype(np.float32)
    same = RandomRotation(prob=0.0)(dict(img=img.copy(), landmarks=pts.copy()))
    assert np.array_equal(same['img'], img) and same['rotate_angle'] == 0.0
    out = RandomRotation(max_angle=10.0, prob=1.0)(dict(img=img.copy(), landmarks=pts.copy()))
    assert out['img'].shape == img.shape and out['img'].dtype == np.uint8
    assert 0 < abs(out['rotate_angle']) <= 10.0
    assert not np.allclose(out['landmarks'], pts)


def test_color_jitter_prob_zero_is_identity():
    img = face()
    out = ColorJitter(brightness=0.5, contrast=0.5, saturation=0.5, hue=0.2, prob=0.0)(
        dict(img=img.copy())
    )
    assert np.array_equal(out['img'], img) and out['color_jitter'] is None


def test_color_jitter_shapes_dtypes_and_bounds():
    np.random.seed(1)
    jitter = ColorJitter(brightness=0.3, contrast=0.4, saturation=0.5, hue=0.1, prob=1.0)
    for seed in range(20):
        img = face(seed=seed)
        out = jitter(dict(img=img.copy()))
        assert out['img'].shape == img.shape and out['img'].dtype == np.uint8
        params = out['color_jitter']
        assert set(params['order']) == {'brightness', 'contrast', 'saturation', 'hue'}
        assert 0.7 <= params['brightness'] <= 1.3
        assert 0.6 <= params['contrast'] <= 1.4
        assert 0.5 <= params['saturation'] <= 1.5
        assert -0.1 <= params['hue'] <= 0.1
    gray = cv2.cvtColor(cv2.cvtColor(face(), cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    out = ColorJitter(brightness=0.0, contrast=0.0, saturation=0.0, hue=0.5, prob=1.0)(
        dict(img=gray.copy())
    )
    assert np.abs(out['img'].astype(int) - gray).max() <= 1  # a gray image has no hue


def test_color_jitter_single_adjustments_by_hand():
    np.random.seed(2)
    img = face()
    out = ColorJitter(brightness=0.2, contrast=0.0, saturation=0.0, prob=1.0)(dict(img=img))
    factor = out['color_jitter']['brightness']
    expected = np.clip(np.rint(img.astype(np.float32) * np.float32(factor)), 0, 255)
    assert np.array_equal(out['img'], expected.astype(np.uint8))
    out = ColorJitter(brightness=0.0, contrast=0.0, saturation=1.0, prob=1.0)(dict(img=img))
    factor = out['color_jitter']['saturation']
    luma = img.astype(np.float32) @ np.array([0.114, 0.587, 0.299], dtype=np.float32)
    expected = factor * img + (1 - factor) * luma[..., None]
    assert np.abs(out['img'] - np.clip(expected, 0, 255)).max() <= 1.0
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    out = ColorJitter(brightness=0.0, contrast=0.5, saturation=0.0, prob=1.0)(dict(img=gray))
    assert out['img'].shape == gray.shape
    assert abs(out['img'].mean() - gray.mean()) < 1.0


@pytest.mark.parametrize(
    'kwargs', [dict(brightness=-0.1), dict(hue=0.6), dict(prob=1.5), dict(contrast='a')]
)
def test_color_jitter_bad_args(kwargs):
    with pytest.raises(ValueError):
        ColorJitter(**kwargs)


def test_face_cutout_prob_zero_is_identity():
    img = face()
    out = FaceCutOut(prob=0.0)(dict(img=img.copy()))
    assert np.array_equal(out['img'], img) and out['cutout_box'] is None


def test_face_cutout_prior_region():
    cutout = FaceCutOut()
    region = cutout.prior_region(112, 112)
    pts = get_template(112)
    assert (region[:2] <= pts.min(0)).all() and (region[2:] >= pts.max(0)).all()
    assert np.allclose(region, [34.8, 47.4, 77.1, 96.4], atol=0.1)
    assert np.allclose(cutout.prior_region(224, 224), 2 * region)
    wide = FaceCutOut(prior='uniform').prior_region(64, 80)
    assert np.allclose(wide, [0, 0, 79, 63])


def test_face_cutout_rectangle_falls_in_the_prior_region():
    np.random.seed(3)
    cutout = FaceCutOut(prob=1.0, size=(0.1, 0.2), fill=(1, 2, 3))
    x1, y1, x2, y2 = cutout.prior_region(112, 112)
    for seed in range(30):
        img = face(seed=seed) // 2 + 10
        out = cutout(dict(img=img))
        left, top, right, bottom = out['cutout_box']
        assert out['img'].shape == img.shape and out['img'].dtype == np.uint8
        assert x1 - 0.5 <= (left + right) / 2 <= x2 + 0.5
        assert y1 - 0.5 <= (top + bottom) / 2 <= y2 + 0.5
        assert 10 <= right - left <= 23 and 10 <= bottom - top <= 23
        assert (out['img'][top:bottom, left:right] == [1, 2, 3]).all()
        outside = np.ones(img.shape[:2], dtype=bool)
        outside[top:bottom, left:right] = False
        assert np.array_equal(out['img'][outside], img[outside])
        assert (img >= 10).all()  # the input is not modified


@pytest.mark.parametrize(
    'kwargs', [dict(size=(0.5, 0.2)), dict(size=1.5), dict(prior='eyes'), dict(prob=-1)]
)
def test_face_cutout_bad_args(kwargs):
    with pytest.raises(ValueError):
        FaceCutOut(**kwargs)
