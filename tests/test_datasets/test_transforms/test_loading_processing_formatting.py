import os
import re

import cv2
import numpy as np
import pytest
import torch

from facerec.datasets.transforms import LoadImageFromFile, PackFaceInputs, RandomFlip
from facerec.datasets.transforms.loading import decode_image
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


def jpeg_with_overwritten_bytes() -> tuple:
    """A real JPEG, and a copy with 16 bytes in the middle of its compressed data overwritten."""
    rng = np.random.default_rng(0)
    img = cv2.GaussianBlur(rng.integers(0, 255, (96, 96, 3), dtype=np.uint8), (5, 5), 0)
    good = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
    sos = good.index(b'\xff\xda')  # the compressed data follows the start-of-scan header
    start = sos + 2 + int.from_bytes(good[sos + 2 : sos + 4], 'big')
    middle = (start + len(good) - 2) // 2
    bad = bytearray(good)
    bad[middle : middle + 16] = rng.integers(0, 255, 16, dtype=np.uint8).tobytes()
    return good, bytes(bad)


def test_corrupt_jpeg_data_is_refused(tmp_path, capfd):
    good, bad = jpeg_with_overwritten_bytes()
    # OpenCV alone returns an image: libjpeg only prints a warning.
    assert cv2.imdecode(np.frombuffer(bad, np.uint8), cv2.IMREAD_COLOR).shape == (96, 96, 3)
    capfd.readouterr()
    path = tmp_path / 'broken.jpg'
    path.write_bytes(bad)
    with pytest.raises(OSError, match=re.escape(f'Corrupt JPEG data in {path}: Corrupt JPEG')):
        LoadImageFromFile()(dict(img_path=str(path)))
    with pytest.raises(OSError, match=r'Corrupt JPEG data in train\.rec, record 1: '):
        decode_image(bad, 'train.rec, record 1')
    (tmp_path / 'good.jpg').write_bytes(good)
    loaded = LoadImageFromFile()(dict(img_path=str(tmp_path / 'good.jpg')))
    assert loaded['img'].shape == (96, 96, 3)
    os.write(2, b'after\n')
    assert capfd.readouterr().err == 'after\n'  # stderr is restored; the warning is in the error


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
