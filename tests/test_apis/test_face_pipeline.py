import numpy as np
import pytest

from facerec.apis import FaceLandmarker, FaceRecognitionPipeline, load_inference_model, probe_images
from facerec.apis.detectors import FaceDetections
from facerec.apis.inference_model import InferenceModel
from facerec.datasets.transforms import estimate_similarity_transform, get_template


class FixedPointsModel(InferenceModel):
    """A landmark 'model' that always answers the same normalised points; records its inputs."""

    def __init__(self, points, size=(48, 48)):
        self.points = np.asarray(points, np.float32)
        self.meta = dict(task='landmarks', input_size=list(size), output_dim=[5, 2])
        self.source = 'fixed-points'
        self.batches = []

    def __call__(self, batch):
        self.batches.append(batch)
        return np.repeat(self.points[None], len(batch), 0)


def test_landmarker_maps_crop_points_back_to_the_image():
    pts = np.array([[0.3, 0.4], [0.7, 0.4], [0.5, 0.6], [0.35, 0.8], [0.65, 0.8]])
    model = FixedPointsModel(pts)
    img = np.zeros((200, 300, 3), np.uint8)
    box = np.array([[100.0, 40.0, 196.0, 136.0]])  # 96 px square
    out = FaceLandmarker(model, refine=0)(img, box)
    # Crop pixel u = 48 * p maps to image x = x1 + (u + 0.5) * 96 / 48 (pixel centres at ints).
    expected = box[0, :2] + (48 * pts + 0.5) * 2.0
    np.testing.assert_allclose(out[0], expected, atol=1e-4)
    assert len(model.batches) == 1 and model.batches[0].shape == (1, 3, 48, 48)


def test_landmarker_initial_crop_rule_and_refinement():
    boxes = np.array([[10.0, 20.0, 50.0, 80.0]])  # w 40, h 60
    crop = FaceLandmarker.initial_crop(boxes, dict(scale=0.5, shift=(0.25, -0.1)))
    # centre (30 + 10, 50 - 6), side 0.5 * (40 + 60) / 2 = 25
    np.testing.assert_allclose(crop[0], [27.5, 31.5, 52.5, 56.5])

    pts = np.array([[0.3, 0.4], [0.7, 0.4], [0.5, 0.6], [0.35, 0.8], [0.65, 0.8]])
    model = FixedPointsModel(pts)
    img = np.zeros((120, 120, 3), np.uint8)
    first = FaceLandmarker(model, refine=0)(img, boxes)
    refined = FaceLandmarker(model, refine=1)(img, boxes)
    # The second pass crops the square of side 2 x the extent of the first pass's points.
    extent = first[0].max(0) - first[0].min(0)
    side = 2 * extent.max()
    centre = (first[0].max(0) + first[0].min(0)) / 2
    x1, y1 = centre - side / 2
    np.testing.assert_allclose(refined[0], [x1, y1] + (48 * pts + 0.5) * side / 48, atol=1e-3)
    with pytest.raises(ValueError, match='not a landmark model'):
        FaceLandmarker(load_model_stub('recognition'))


def load_model_stub(task):
    model = FixedPointsModel(np.zeros((5, 2)))
    model.meta['task'] = task
    return model


def test_pipeline_detects_aligns_and_embeds(colour_recognizer_ir, scene_rng, scene, detector_cls):
    rec = load_inference_model(str(colour_recognizer_ir))
    pipe = FaceRecognitionPipeline(detector_cls(), rec)
    img, boxes, points = scene([0, 1, 2], scene_rng)
    faces = pipe(img, keep_aligned=True)
    assert len(faces) == 3
    order = np.argsort(faces.detections.boxes[:, 0])
    np.testing.assert_allclose(faces.detections.boxes[order], boxes - 0.5, atol=0.01)
    np.testing.assert_allclose(faces.landmarks[order], points, atol=1.0)
    # Each crop is the face warped onto the 32x32 template: its points land on the template.
    template = get_template(32)
    for pts, crop in zip(faces.landmarks, faces.aligned):
        m = estimate_similarity_transform(pts, template)
        mapped = pts @ m[:, :2].T + m[:, 2]
        assert np.abs(mapped - template).max() < 1.5
        assert crop.shape == (32, 32, 3)
    np.testing.assert_allclose(np.linalg.norm(faces.embeddings, axis=1), 1, atol=1e-5)
    # One identity, two photos: similar; two identities: not.
    again = pipe(scene([0], scene_rng)[0])
    sims = faces.embeddings[order] @ again.embeddings[0]
    assert sims[0] > 0.98 and sims[1:].max() < 0.6
    assert set(pipe.timer.summary()) == {'detection', 'embedding'}


def test_pipeline_with_no_face_and_padding_retry(
    colour_recognizer_ir, scene_rng, scene, detector_cls
):
    class EdgeShyDetector(detector_cls):
        """Misses faces touching the image border, as MTCNN misses tight crops."""

        def detect_faces(self, img):
            dets = super().detect_faces(img)
            h, w = img.shape[:2]
            b = dets.boxes
            inside = (b[:, 0] > 0) & (b[:, 1] > 0) & (b[:, 2] < w - 1) & (b[:, 3] < h - 1)
            return dets.select(inside)

    rec = load_inference_model(str(colour_recognizer_ir))
    pipe = FaceRecognitionPipeline(EdgeShyDetector(), rec, flip=True)
    empty = pipe(np.zeros((50, 60, 3), np.uint8), pad_retry=(0.25,))
    assert len(empty) == 0 and empty.embeddings.shape[0] == 0 and empty.landmarks.shape == (0, 5, 2)
    img, _, points = scene([1], scene_rng)
    face = img[20:84, 12:76].copy()  # the face fills the image
    assert len(pipe(face)) == 0
    found = pipe(face, pad_retry=(0.25, 0.5))
    assert len(found) == 1
    np.testing.assert_allclose(found.landmarks[0], points[0] - [12, 20], atol=1.0)
    np.testing.assert_allclose(found.detections.boxes[0], [-0.5, -0.5, 63.5, 63.5], atol=0.01)


def test_pipeline_needs_points_and_a_recogniser(colour_recognizer_ir, detector_cls):
    rec = load_inference_model(str(colour_recognizer_ir))

    class BoxOnly(detector_cls):
        provides_landmarks = False

    with pytest.raises(ValueError, match='gives no facial points'):
        FaceRecognitionPipeline(BoxOnly(), rec)
    with pytest.raises(ValueError, match='not a recogniser'):
        FaceRecognitionPipeline(detector_cls(), load_model_stub('landmarks'))


def test_pipeline_with_a_landmark_model(colour_recognizer_ir, scene_rng, scene, detector_cls):
    """The landmark model's points (not the detector's) drive the alignment."""
    rec = load_inference_model(str(colour_recognizer_ir))
    template = get_template(48) / 48.0
    lm = FixedPointsModel(template)
    pipe = FaceRecognitionPipeline(detector_cls(), rec, lm, landmark_refine=0)
    img, boxes, _ = scene([0, 1], scene_rng)
    faces = pipe(img)
    assert len(lm.batches) == 1 and lm.batches[0].shape == (2, 3, 48, 48)
    order = np.argsort(faces.detections.boxes[:, 0])
    b = faces.detections.boxes[order]
    expected = b[:, None, :2] + (48 * template + 0.5) * (b[:, None, 2:] - b[:, None, :2]) / 48
    np.testing.assert_allclose(faces.landmarks[order], expected, atol=1e-3)
    assert 'landmarks' in pipe.timer.summary()


def test_probe_images_are_fixed_and_describe_model(colour_recognizer_ir, detector_cls):
    a, b = probe_images((32, 32)), probe_images((32, 32))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (4, 3, 32, 32) and a.min() >= 0 and a.max() <= 255
    rec = load_inference_model(str(colour_recognizer_ir))
    meta = FaceRecognitionPipeline(detector_cls(), rec).describe_model()
    assert meta['output_dim'] == 6 and meta['input_size'] == [32, 32]
    assert meta['alignment']['output_size'] == [32, 32]
    assert np.asarray(meta['probe_embeddings']).shape == (4, 6)


def test_detections_container():
    d = FaceDetections([[0, 0, 10, 10], [5, 5, 20, 30]], [0.9, 0.4], np.zeros((2, 5, 2)))
    assert len(d) == 2 and len(d.select(d.scores > 0.5)) == 1
    s = d.scaled(2.0)
    np.testing.assert_allclose(s.boxes[0], [0.5, 0.5, 20.5, 20.5])
    with pytest.raises(ValueError, match='2 boxes but 1 scores'):
        FaceDetections([[0, 0, 1, 1], [0, 0, 2, 2]], [0.5])


def test_aligned_crop_border(colour_recognizer_ir, scene_rng, scene, detector_cls):
    """A face at the image corner: its crop is filled by replicating the edge (as in
    training), or black with the model's 'constant' border."""
    rec = load_inference_model(str(colour_recognizer_ir))
    img, _, _ = scene([2], scene_rng)
    corner = img[20:84, 12:76].copy()
    corner[corner.max(2) < 40] = 1
    for border, black in (('replicate', False), ('constant', True), (None, True)):
        pipe = FaceRecognitionPipeline(detector_cls(), rec, border_mode=border)
        points = pipe.detector(corner).landmarks * 1.6 - 20  # face larger than the image
        crop = pipe.align(corner, points)[0]
        assert ((crop.max(2) == 0).mean() > 0.1) == black, border
    assert pipe.describe_model()['alignment']['border_mode'] == 'constant'
