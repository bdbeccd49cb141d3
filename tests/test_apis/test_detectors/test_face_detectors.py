import numpy as np
import pytest

from facerec.apis import build_detector
from facerec.apis.detectors import (
    BaseFaceDetector,
    FaceDetections,
    OpenVINOSSDDetector,
    check_bgr_image,
    parse_detection_output,
)
from facerec.registry import DETECTORS


class OneBoxDetector(BaseFaceDetector):
    """Answers one box at fixed pixels of whatever image it gets, and records the sizes."""

    provides_landmarks = True

    def __init__(self, **kw):
        super().__init__(**kw)
        self.sizes = []

    def detect_faces(self, img):
        self.sizes.append(img.shape[:2])
        pts = np.array([[[10.0, 10.0]] * 5])
        return FaceDetections([[10, 20, 30, 40], [0, 0, 5, 5]], [0.9, 0.2], pts.repeat(2, 0))


def test_base_detector_downscales_filters_and_maps_back():
    det = OneBoxDetector(score_threshold=0.5, max_side=100)
    out = det(np.zeros((200, 400, 3), np.uint8))
    assert det.sizes == [(50, 100)]
    assert len(out) == 1  # the 0.2 box is dropped
    # 4x: pixel x in the small image is x' = (x + 0.5) * 4 - 0.5 in the input.
    np.testing.assert_allclose(out.boxes[0], [41.5, 81.5, 121.5, 161.5])
    np.testing.assert_allclose(out.landmarks[0, 0], [41.5, 41.5])
    det = OneBoxDetector(score_threshold=0.1)
    out = det(np.zeros((20, 30), np.uint8))  # grey images become BGR
    assert det.sizes == [(20, 30)] and out.scores.tolist() == pytest.approx([0.9, 0.2])


def test_bad_images_and_arguments():
    with pytest.raises(ValueError, match='uint8'):
        check_bgr_image(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError, match='HxWx3'):
        check_bgr_image(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(ValueError, match='HxWx3'):
        check_bgr_image(np.zeros((0, 4, 3), np.uint8))
    with pytest.raises(TypeError, match='numpy image'):
        check_bgr_image('face.jpg')
    assert check_bgr_image(np.zeros((4, 4, 4), np.uint8)).shape == (4, 4, 3)
    with pytest.raises(ValueError, match='score_threshold'):
        OneBoxDetector(score_threshold=2)
    with pytest.raises(ValueError, match='max_side'):
        OneBoxDetector(max_side=8)


def test_registry_and_build():
    assert DETECTORS.get('MTCNNDetector') is not None
    assert DETECTORS.get('OpenVINOSSDDetector') is OpenVINOSSDDetector
    with pytest.raises(ValueError, match='--detector-model'):
        build_detector('openvino')
    with pytest.raises(ValueError, match="Unknown detector 'NoSuchDetector'; known: .*mtcnn"):
        build_detector('NoSuchDetector')


def test_parse_detection_output():
    rows = np.array(
        [
            [0, 1, 0.9, 0.1, 0.2, 0.3, 0.6],
            [0, 2, 0.8, 0.5, 0.5, 0.7, 0.9],
            [0, 1, 0.7, 0.9, 0.9, 1.2, 1.3],  # clipped to the image
            [0, 1, 0.6, 0.4, 0.4, 0.4, 0.5],  # empty after clipping: dropped
            [-1, 0, 0, 0, 0, 0, 0],  # end of the list
            [0, 1, 0.99, 0, 0, 1, 1],  # after the end: ignored
        ],
        np.float32,
    )[None, None]
    dets = parse_detection_output(rows, 200, 100)
    np.testing.assert_allclose(dets.scores, [0.9, 0.8, 0.7])
    np.testing.assert_allclose(dets.boxes[0], [19.5, 19.5, 59.5, 59.5])
    np.testing.assert_allclose(dets.boxes[2], [179.5, 89.5, 199.5, 99.5])
    assert dets.landmarks is None
    assert len(parse_detection_output(rows, 200, 100, label=2)) == 1
    with pytest.raises(ValueError, match=r'\[1, 1, N, 7\]'):
        parse_detection_output(np.zeros((1, 1, 3, 6)), 10, 10)


def ssd_ir(path, size=(60, 80), static=True):
    """A tiny IR in the Open Model Zoo layout: 3 fixed detections whose first confidence
    is the image's mean brightness / 255 (so the input really flows through)."""
    ov = pytest.importorskip('openvino')
    import torch
    import torch.nn as nn

    class TinySSD(nn.Module):
        def __init__(self):
            super().__init__()
            rows = torch.tensor(
                [
                    [0, 1, 0.0, 0.25, 0.25, 0.5, 0.75],
                    [0, 1, 0.3, 0.6, 0.1, 0.9, 0.5],
                    [-1, 0, 0, 0, 0, 0, 0],
                ]
            )
            self.register_buffer('rows', rows)

        def forward(self, x):
            conf = x.mean().reshape(1, 1) / 255.0
            first = torch.cat([self.rows[:1, :2], conf, self.rows[:1, 3:]], 1)
            return torch.cat([first, self.rows[1:]], 0).reshape(1, 1, 3, 7)

    h, w = size
    shape = ov.PartialShape([1, 3, h, w] if static else [1, 3, -1, -1])
    model = ov.convert_model(
        TinySSD().eval(), example_input=torch.zeros(1, 3, h, w), input=[(shape, ov.Type.f32)]
    )
    ov.save_model(model, str(path))
    return str(path)


def test_openvino_ssd_detector(tmp_path):
    det = build_detector('openvino', ssd_ir(tmp_path / 'ssd.xml'), score_threshold=0.5)
    assert det.input_size == (60, 80)
    img = np.full((300, 400, 3), 204, np.uint8)  # brightness 0.8
    out = det(img)
    np.testing.assert_allclose(out.scores, [0.8], atol=1e-5)
    np.testing.assert_allclose(out.boxes[0], [99.5, 74.5, 199.5, 224.5], atol=1e-3)
    assert len(det(np.full((300, 400, 3), 51, np.uint8))) == 0  # 0.2 < 0.5
    low = OpenVINOSSDDetector(str(tmp_path / 'ssd.xml'), score_threshold=0.25)
    assert len(low(img)) == 2 and low(img).scores[0] == pytest.approx(0.8, abs=1e-5)


def test_openvino_ssd_detector_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='Face detection IR not found'):
        OpenVINOSSDDetector(str(tmp_path / 'none.xml'))
    dynamic = ssd_ir(tmp_path / 'dyn.xml', static=False)
    with pytest.raises(ValueError, match='pass input_size'):
        OpenVINOSSDDetector(dynamic)
    det = OpenVINOSSDDetector(dynamic, input_size=(30, 40), score_threshold=0.1)
    assert det.input_size == (30, 40) and len(det(np.full((90, 120, 3), 100, np.uint8))) == 2
