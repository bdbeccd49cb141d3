import cv2
import numpy as np
import pytest

from facerec.apis.detection_eval import evaluate_face_detector, five_points_from_68, load_dlib_faces
from facerec.apis.detectors import BaseFaceDetector, FaceDetections


def parts_68() -> np.ndarray:
    """68 points whose 5-point summary is eyes (30, 40), (50, 40), nose (40, 50), mouth
    corners (32, 60), (48, 60)."""
    pts = np.zeros((68, 2))
    pts[36:42] = [30, 40]
    pts[42:48] = [50, 40]
    pts[30] = [40, 50]
    pts[48] = [32, 60]
    pts[54] = [48, 60]
    return pts


def write_dlib_xml(tmp_path, with_parts=False):
    cv2.imwrite(str(tmp_path / 'a.jpg'), np.zeros((100, 120, 3), np.uint8))
    parts = ''
    if with_parts:
        parts = ''.join(
            f"<part name='{i:02d}' x='{x:g}' y='{y:g}'/>" for i, (x, y) in enumerate(parts_68())
        )
    xml = (
        "<?xml version='1.0'?><dataset><name>t</name><images>"
        "<image file='a.jpg'>"
        f"<box top='20' left='20' width='40' height='50'>{parts}</box>"
        f"<box top='10' left='80' width='20' height='20'>{parts}</box>"
        '</image></images></dataset>'
    )
    path = tmp_path / 'faces.xml'
    path.write_text(xml)
    return path


class FixedDetector(BaseFaceDetector):
    """One hit on the first annotated face (left eye 1 px low) and one false positive."""

    provides_landmarks = True

    def detect_faces(self, img):
        pts = np.array([[[30, 41], [50, 40], [40, 50], [32, 60], [48, 60]]], np.float32)
        boxes = [[20, 20, 60, 70], [0, 80, 10, 90]]
        return FaceDetections(boxes, [0.9, 0.8], np.repeat(pts, 2, 0))


def test_load_dlib_faces(tmp_path):
    items = load_dlib_faces(str(write_dlib_xml(tmp_path)))
    assert len(items) == 1 and items[0].path.endswith('a.jpg') and items[0].landmarks is None
    np.testing.assert_allclose(items[0].boxes, [[19.5, 19.5, 59.5, 69.5], [79.5, 9.5, 99.5, 29.5]])
    with_points = load_dlib_faces(str(write_dlib_xml(tmp_path, with_parts=True)))
    np.testing.assert_allclose(with_points[0].landmarks[1], five_points_from_68(parts_68()))
    (tmp_path / 'bad.xml').write_text('<root/>')
    with pytest.raises(ValueError, match='not a dlib dataset'):
        load_dlib_faces(str(tmp_path / 'bad.xml'))
    with pytest.raises(FileNotFoundError):
        load_dlib_faces(str(tmp_path / 'none.xml'))


def test_five_points_from_68():
    pts = np.arange(136, dtype=float).reshape(68, 2)
    five = five_points_from_68(pts)
    np.testing.assert_allclose(five[0], pts[36:42].mean(0))
    np.testing.assert_allclose(five[2:], pts[[30, 48, 54]])


def test_evaluate_face_detector(tmp_path):
    result = evaluate_face_detector(FixedDetector(), load_dlib_faces(str(write_dlib_xml(tmp_path))))
    assert result['recall'] == 0.5 and result['precision'] == 0.5
    assert 'detector_nme' not in result
    items = load_dlib_faces(str(write_dlib_xml(tmp_path, with_parts=True)))
    result = evaluate_face_detector(FixedDetector(), items, 0.5)
    # One matched face; its left eye is 1 px off over an inter-ocular distance of 20.
    assert result['faces_with_points'] == 1
    assert result['detector_nme'] == pytest.approx(0.05 / 5)


def test_eval_face_detector_tool(tmp_path, scene, capsys, load_tool):
    module = load_tool('tools/analysis/eval_face_detector.py')

    img, boxes, _ = scene([0, 1], np.random.default_rng(0))
    cv2.imwrite(str(tmp_path / 'scene.png'), img)
    rows = ''.join(
        f"<box top='{y1:g}' left='{x1:g}' width='{x2 - x1:g}' height='{y2 - y1:g}'/>"
        for x1, y1, x2, y2 in boxes
    )
    xml = tmp_path / 'scene.xml'
    xml.write_text(f"<dataset><images><image file='scene.png'>{rows}</image></images></dataset>")
    result = module.main([str(xml), '--detector', 'SyntheticFaceDetector'])
    assert result['recall'] == 1.0 and result['precision'] == 1.0
    assert '"recall": 1.0' in capsys.readouterr().out
