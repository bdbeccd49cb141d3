"""Fixtures of the demo tests: synthetic scenes of coloured 'faces', a detector that finds
them, a recogniser IR that embeds their colour, and a real trained recogniser."""

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn

from facerec.apis.detectors import BaseFaceDetector, FaceDetections
from facerec.datasets.transforms import get_template
from facerec.registry import DETECTORS

REPO = Path(__file__).resolve().parents[2]

#: Face colours (BGR) of the synthetic identities: distinct directions about grey.
COLOURS = [(200, 60, 60), (60, 200, 60), (60, 60, 200), (200, 200, 60), (60, 200, 200)]
FACE = 64


def make_face(identity: int, rng: np.random.Generator) -> tuple:
    """A ``FACE`` x ``FACE`` textured face of an identity's colour with its 5 points drawn
    as white dots, and the points (left eye, right eye, nose, mouth corners)."""
    base = np.array(COLOURS[identity], np.float64)
    img = np.clip(base + rng.normal(0, 12, (FACE, FACE, 3)), 1, 235).astype(np.uint8)
    pts = get_template(112) * (FACE / 128.0) + rng.uniform(3, 6, 2)
    for x, y in pts:
        cv2.circle(img, (int(round(x)), int(round(y))), 2, (255, 255, 255), -1)
    return img, pts


def make_scene(identities, rng, size=(160, 240)) -> tuple:
    """A black image with one face per identity placed left to right; returns the
    image, the face boxes and their points in image pixels."""
    h, w = size
    img = np.zeros((h, w, 3), np.uint8)
    boxes, points = [], []
    for i, ident in enumerate(identities):
        face, pts = make_face(ident, rng)
        x0, y0 = 12 + i * (FACE + 12), 20 + 8 * (i % 2)
        img[y0 : y0 + FACE, x0 : x0 + FACE] = face
        boxes.append([x0, y0, x0 + FACE, y0 + FACE])
        points.append(pts + [x0, y0])
    return img, np.array(boxes, np.float32), np.array(points, np.float32)


@DETECTORS.register_module(force=True)
class SyntheticFaceDetector(BaseFaceDetector):
    """Finds the faces of :func:`make_scene`: regions neither black nor the grey of
    padding, with the white dots inside as the 5 points (eyes = the upper two, nose,
    mouth = the lower two)."""

    provides_landmarks = True

    def __init__(self, score_threshold: float = 0.5, max_side=None):
        super().__init__(score_threshold, max_side)

    def detect_faces(self, img):
        # Tolerant thresholds: the faces also survive a round trip through a lossy video.
        background = (img.max(2) < 40) | (np.abs(img.astype(int) - 127) < 6).all(2)
        mask = (~background).astype(np.uint8)
        _, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        boxes, points = [], []
        for x, y, w, h, _ in stats[1:]:
            if w < 24 or h < 24:
                continue
            crop = img[y : y + h, x : x + w]
            white = (crop.min(2) > 180).astype(np.uint8)
            m, _, _, centres = cv2.connectedComponentsWithStats(white)
            if m - 1 != 5:
                continue
            c = centres[1:][np.argsort(centres[1:, 1])]
            eyes, nose, mouth = c[:2][np.argsort(c[:2, 0])], c[2:3], c[3:][np.argsort(c[3:, 0])]
            boxes.append([x - 0.5, y - 0.5, x + w - 0.5, y + h - 0.5])
            points.append(np.concatenate([eyes, nose, mouth]) + [x, y])
        if not boxes:
            return FaceDetections.empty(with_landmarks=True)
        return FaceDetections(boxes, np.ones(len(boxes)), points)


class MeanColourNet(nn.Module):
    """A 'recogniser' embedding a face by the mean colour of its left and right centre
    quarters, about grey: faces of one synthetic identity embed alike."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        centre = x[:, :, h // 4 : 3 * h // 4, w // 4 : 3 * w // 4] - 127.5
        half = centre.shape[-1] // 2
        left = centre[..., :half].mean((2, 3))
        right = centre[..., half:].mean((2, 3))
        return torch.cat([left, right], 1)


def export_ir(module: nn.Module, path: Path, size: int, task: str, meta: dict) -> Path:
    """Convert ``module`` to an OpenVINO IR in the export convention (input ``input``
    float32 NCHW BGR 0..255 with a dynamic batch, output named after the task) and write
    its sidecar."""
    import openvino as ov

    from facerec.deployment.metadata import write_metadata

    ov_model = ov.convert_model(
        module.eval(),
        example_input=torch.zeros(1, 3, size, size),
        input=[(ov.PartialShape([-1, 3, size, size]), ov.Type.f32)],
    )
    ov_model.inputs[0].get_tensor().set_names({'input'})
    ov_model.outputs[0].get_tensor().set_names({'embedding' if task == 'recognition' else task})
    ov.save_model(ov_model, str(path), compress_to_fp16=False)
    full = dict(
        task=task,
        input_size=[size, size],
        output_dim=meta.pop('output_dim'),
        precision='fp32',
        input='BGR 0-255 NCHW',
        alignment=meta.pop('alignment', None),
        config=None,
        checkpoint_sha256=meta.pop('checkpoint_sha256', 'synthetic'),
        **meta,
    )
    write_metadata(str(path), full)
    return path


@pytest.fixture(scope='session')
def colour_recognizer_ir(tmp_path_factory) -> Path:
    """An IR of :class:`MeanColourNet` at 32x32, aligned to the ArcFace template."""
    pytest.importorskip('openvino', reason='the demo runs OpenVINO IRs (requirements/optional.txt)')
    path = tmp_path_factory.mktemp('ir') / 'colour.xml'
    align = dict(type='AlignFace', output_size=[32, 32], template_scale=1.0)
    return export_ir(MeanColourNet(), path, 32, 'recognition', dict(output_dim=6, alignment=align))


@pytest.fixture
def scene_rng():
    return np.random.default_rng(0)


@pytest.fixture(scope='session')
def scene():
    """The :func:`make_scene` factory."""
    return make_scene


@pytest.fixture(scope='session')
def detector_cls():
    """The :class:`SyntheticFaceDetector` class."""
    return SyntheticFaceDetector


@pytest.fixture
def enroll_root(tmp_path) -> Path:
    """``root/<person>/<photo>.png``: identities 0-3, three photos each (one face per photo,
    the first of the last person without a face)."""
    rng = np.random.default_rng(1)
    root = tmp_path / 'people'
    for ident, name in enumerate(['ann', 'bob', 'cid', 'dee']):
        (root / name).mkdir(parents=True)
        for k in range(3):
            img, _, _ = make_scene([ident], rng, size=(100, 100))
            if name == 'dee' and k == 0:
                img[:] = 0
            cv2.imwrite(str(root / name / f'{k}.png'), img)
    return root


# The released models of the demo's default pipeline (../shared/models): detector
# face-detection-retail-0004, LandNet landmarks-regression-retail-0009 and recogniser
# face-reidentification-retail-0095, run as IRs described by their configs.
OMZ = 'omz/{0}/{1}/{0}.xml'


@pytest.fixture(scope='session')
def released_models(models_root) -> dict:
    """Keyword arguments of :func:`facerec.apis.build_pipeline` for the released models."""
    pytest.importorskip('openvino', reason='the released models are OpenVINO IRs')
    files = dict(
        recognizer=models_root / OMZ.format('face-reidentification-retail-0095', 'FP16'),
        landmarks=models_root / OMZ.format('landmarks-regression-retail-0009', 'FP32'),
        detector=models_root / OMZ.format('face-detection-retail-0004', 'FP32'),
    )
    missing = [str(f) for f in files.values() if not f.is_file()]
    if missing:
        pytest.skip(f'released models not found: {missing}')
    configs = REPO / 'configs' / 'pretrained'
    return dict(
        recognizer=str(configs / 'face-reidentification-retail-0095.py'),
        recognizer_checkpoint=str(files['recognizer']),
        landmarks=str(configs / 'landmarks-regression-retail-0009.py'),
        landmarks_checkpoint=str(files['landmarks']),
        detector='openvino',
        detector_model=str(files['detector']),
        landmark_refine=0,
    )
