"""LoadImageFromBytes: decoding in-memory images, with errors that name the image."""

import cv2
import numpy as np
import pytest

from facerec.datasets.transforms.loading import LoadImageFromBytes, decode_image
from facerec.registry import TRANSFORMS


def test_decode_png_bytes_exactly():
    img = np.random.default_rng(0).integers(0, 255, (7, 9, 3), dtype=np.uint8)
    data = cv2.imencode('.png', img)[1].tobytes()
    out = TRANSFORMS.build(dict(type='LoadImageFromBytes'))(dict(img_bytes=data))
    np.testing.assert_array_equal(out['img'], img)
    assert out['ori_shape'] == out['img_shape'] == (7, 9) and 'img_bytes' not in out
    kept = LoadImageFromBytes(to_float32=True, keep_bytes=True)(dict(img_bytes=data))
    assert kept['img'].dtype == np.float32 and kept['img_bytes'] == data
    gray = cv2.imencode('.png', img[..., 0])[1]
    assert decode_image(gray, 'x').shape == (7, 9, 3)  # a uint8 array of bytes works too


def test_decoding_errors_name_the_image():
    with pytest.raises(OSError, match=r'train\.rec, record 5 \(3 bytes'):
        LoadImageFromBytes()(dict(img_bytes=b'bad', img_source='train.rec, record 5'))
    with pytest.raises(OSError, match='sample 4'):
        LoadImageFromBytes()(dict(img_bytes=b'', sample_idx=4))
    with pytest.raises(KeyError, match='lfw.bin, image 2'):
        LoadImageFromBytes()(dict(img_source='lfw.bin, image 2'))
