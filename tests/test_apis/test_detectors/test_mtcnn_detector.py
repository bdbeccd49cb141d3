import os.path as osp

import numpy as np
import pytest

pytest.importorskip('facenet_pytorch', reason='pip install --no-deps facenet-pytorch')

from facerec.apis.detectors import MTCNNDetector  # noqa: E402


@pytest.fixture(scope='module')
def mtcnn():
    return MTCNNDetector()


def test_weights_ship_in_the_wheel():
    import facenet_pytorch

    data = osp.join(osp.dirname(facenet_pytorch.__file__), 'data')
    for name in ('pnet', 'rnet', 'onet'):
        assert osp.getsize(osp.join(data, f'{name}.pt')) > 10_000


def test_no_face_and_tiny_images(mtcnn):
    assert len(mtcnn(np.zeros((120, 160, 3), np.uint8))) == 0
    noise = np.random.default_rng(0).integers(0, 256, (200, 200, 3)).astype(np.uint8)
    out = mtcnn(noise)
    assert len(out) == 0 and out.landmarks.shape == (0, 5, 2)
    # Smaller than the smallest face searched for: facenet-pytorch's cascade would fail.
    assert len(mtcnn(np.zeros((10, 10, 3), np.uint8))) == 0


def test_bad_arguments():
    with pytest.raises(ValueError, match='min_face_size'):
        MTCNNDetector(min_face_size=8)
    with pytest.raises(ValueError, match='thresholds'):
        MTCNNDetector(thresholds=(0.5, 0.5))
    with pytest.raises(ValueError, match='factor'):
        MTCNNDetector(factor=1.2)
