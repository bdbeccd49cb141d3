import cv2
import numpy as np
import pytest
import torch

from facerec.datasets.transforms import LoadImageFromFile, PackFaceInputs, RandomFlip
from facerec.structures import FaceDataSample


def test_load_image(tmp_path):
    img = np.random.default_rng(0).integers(0, 255, (20, 30, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    out = LoadImageFromFile()(dict(img_path=str(tmp_path / 'a.png')))
    np.testing.assert_array_equal(out['img'], img)
    assert out['ori_shape'] == (20, 30)
    cv2.imwrite(str(tmp_path / 'g.png'), img[..., 0])
    assert LoadImageFromFile()(dict(img_path=str(tmp_path / 'g.png')))['img'].shape == (20, 30, 3)


def test_load_image_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        LoadImageFromFile()(dict(img_path=str(tmp_path / 'missing.jpg')))
    bad = tmp_path / 'corrupt.jpg'
    bad.write_bytes(b'not a jpeg at all')
    with pytest.raises(OSError, match='corrupt.jpg'):
        LoadImageFromFile()(dict(img_path=str(bad)))
    empty = tmp_path / 'empty.jpg'
    empty.write_bytes(b'')
    with pytest.raises(OSError, match='empty.jpg'):
        LoadImageFromFile()(dict(img_path=str(empty)))


def test_random_flip_mirrors_image_and_swaps_points():
    img = np.zeros((10, 20, 3), np.uint8)
    img[:, :5] = 255
    pts = np.array([[2.0, 3], [15, 3], [10, 5], [4, 8], [16, 8]])
    out = RandomFlip(prob=1.0)(dict(img=img, landmarks=pts))
    assert out['flip'] and out['img'][:, -5:].min() == 255 and out['img'][:, :5].max() == 0
    # x' = W - 1 - x, and left/right eye and mouth corners trade places.
    expected = np.array([[4.0, 3], [17, 3], [9, 5], [3, 8], [15, 8]])
    np.testing.assert_allclose(out['landmarks'], expected)
    same = RandomFlip(prob=0.0)(dict(img=img.copy(), landmarks=pts))
    assert not same['flip']
    np.testing.assert_array_equal(same['img'], img)
    with pytest.raises(ValueError):
        RandomFlip(prob=1.5)


def test_pack_face_inputs():
    img = np.random.default_rng(0).integers(0, 255, (8, 6, 3), dtype=np.uint8)
    out = PackFaceInputs()(
        dict(img=img, gt_label=3, sample_idx=7, img_path='p.jpg', landmarks=np.ones((5, 2)))
    )
    assert out['inputs'].shape == (3, 8, 6) and out['inputs'].dtype == torch.uint8
    assert torch.equal(out['inputs'][1], torch.from_numpy(img[..., 1]))
    sample = out['data_samples']
    assert isinstance(sample, FaceDataSample)
    assert sample.gt_label.item() == 3 and sample.sample_idx == 7 and sample.img_path == 'p.jpg'
    assert sample.gt_landmarks.shape == (5, 2)
    unlabeled = PackFaceInputs()(dict(img=img))['data_samples']
    assert 'gt_label' not in unlabeled
