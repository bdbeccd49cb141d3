"""The demo on the real photos of the shared data: detection and identification accuracy."""

import os

import pytest

from facerec.apis.face_pipeline import FrameFaces
from facerec.datasets.transforms.landmark_transforms import crop_box

pytestmark = pytest.mark.real_data

pytest.importorskip('facenet_pytorch', reason='pip install --no-deps facenet-pytorch')


@pytest.fixture(scope='module')
def demo_root(data_root):
    root = data_root / 'demo'
    if not (root / 'faceapi_bbt').is_dir() or not (root / 'dlib_faces').is_dir():
        pytest.skip(f'demo photos not found under {root}')
    return root


def test_mtcnn_finds_the_annotated_faces(demo_root):
    from facerec.apis import MTCNNDetector
    from facerec.apis.detection_eval import evaluate_face_detector, load_dlib_faces

    images = []
    for name in ('training.xml', 'testing.xml'):
        images += load_dlib_faces(str(demo_root / 'dlib_faces' / name))
    result = evaluate_face_detector(MTCNNDetector(), images, iou_threshold=0.5)
    # Measured: 42 of the 43 faces (small faces of PASCAL VOC photos), no false positive.
    assert result['num_ground_truth'] == 43
    assert result['recall'] >= 0.9 and result['precision'] >= 0.9


class BoxCropPipeline:
    """A broken pipeline: the detector's box resized to the model input, no alignment."""

    def __init__(self, pipeline):
        self.pipeline = pipeline

    def __call__(self, img, pad_retry=()):
        p = self.pipeline
        dets = p.detect(img)
        for pad in pad_retry:
            if len(dets):
                break
            dets = p.detect_padded(img, pad)
        crops = [crop_box(img, box, p.recognizer.input_size)[0] for box in dets.boxes]
        return FrameFaces(dets, dets.landmarks, p.embed(crops))


def lfw_people(data_root, tmp_path, people=20, photos=6):
    """A folder of links to ``photos`` photos of ``people`` LFW people with 10+ photos
    (every k-th such person by name)."""
    root = data_root / 'lfw' / 'lfw-deepfunneled'
    many = sorted(p for p in os.listdir(root) if len(os.listdir(root / p)) >= 10)
    out = tmp_path / 'lfw_people'
    for person in many[:: len(many) // people][:people]:
        (out / person).mkdir(parents=True)
        for name in sorted(os.listdir(root / person))[:photos]:
            os.symlink(root / person / name, out / person / name)
    return out
