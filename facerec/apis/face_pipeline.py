"""Detect -> 5 landmarks -> similarity alignment -> embedding, on whole images.

The landmarks come from a landmark model (LandNet) run on a crop around each
detected face, as in the OpenVINO face recognition demo, or from the detector
itself when it gives points (MTCNN). The face is then warped to the
recogniser's 5-point template with :class:`~facerec.datasets.transforms.AlignFace`
(the same code that aligns the training images) and embedded.
"""

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from facerec.datasets.transforms import AlignFace, transform_points
from facerec.datasets.transforms.landmark_transforms import crop_box, landmark_box

from .detectors import BaseFaceDetector, FaceDetections, check_bgr_image
from .face_gallery import l2_normalise
from .inference_model import InferenceModel, alignment_params

__all__ = [
    'FaceLandmarker',
    'FaceRecognitionPipeline',
    'FrameFaces',
    'StageTimer',
    'probe_images',
]


class StageTimer:
    """Wall time and item counts per named stage."""

    def __init__(self) -> None:
        self.seconds: Dict[str, float] = defaultdict(float)
        self.counts: Dict[str, int] = defaultdict(int)

    def add(self, stage: str, seconds: float, count: int = 1) -> None:
        self.seconds[stage] += seconds
        self.counts[stage] += count

    def summary(self) -> Dict[str, Dict[str, float]]:
        """Per stage: total seconds, items and items per second."""
        return {
            k: dict(
                seconds=round(self.seconds[k], 4),
                items=self.counts[k],
                per_second=round(self.counts[k] / self.seconds[k], 2) if self.seconds[k] else None,
            )
            for k in self.seconds
        }


@dataclass
class FrameFaces:
    """The faces of one image: detections, landmarks and unit-length embeddings."""

    detections: FaceDetections
    landmarks: np.ndarray
    embeddings: np.ndarray
    aligned: Optional[List[np.ndarray]] = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.detections)


class FaceLandmarker:
    """Five facial points from a landmark model run on a crop around each face box.

    The landmark model was trained on square crops around the points whose
    side is ``expand`` times the points' largest extent. The first crop is
    derived from the detector's box with the detector's ``landmark_crop``
    rule (centre shift and side relative to the box); each refinement pass
    then crops around the points found so far with the training rule.

    Args:
        model: A ``landmarks`` inference model (points normalised to its input).
        refine: Extra passes on the crop around the previous pass's points.
        expand: Crop side over the points' extent, as in training.
    """

    def __init__(self, model: InferenceModel, refine: int = 1, expand: float = 2.0):
        if model.task != 'landmarks':
            raise ValueError(f'{model.source} is a {model.task} model, not a landmark model')
        if refine < 0:
            raise ValueError(f'refine must be >= 0, got {refine}')
        self.model = model
        self.refine = int(refine)
        self.expand = float(expand)

    @staticmethod
    def initial_crop(boxes: np.ndarray, rule: Optional[dict] = None) -> np.ndarray:
        """Square crops from detector boxes: centre moved by ``shift`` (fractions of
        the box width and height), side ``scale`` times the box's mean side."""
        rule = rule or {}
        scale = float(rule.get('scale', 1.0))
        dx, dy = rule.get('shift', (0.0, 0.0))
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
        cx = (boxes[:, 0] + boxes[:, 2]) / 2 + dx * w
        cy = (boxes[:, 1] + boxes[:, 3]) / 2 + dy * h
        half = scale * (w + h) / 4
        return np.stack([cx - half, cy - half, cx + half, cy + half], 1)

    def _predict(self, img: np.ndarray, crops: np.ndarray) -> np.ndarray:
        h, w = self.model.input_size
        batch, matrices = [], []
        for box in crops:
            crop, matrix = crop_box(img, box, (h, w))
            batch.append(crop.transpose(2, 0, 1))
            matrices.append(matrix)
        points = self.model(np.stack(batch).astype(np.float32))
        points = np.asarray(points, dtype=np.float64).reshape(len(crops), -1, 2) * [w, h]
        out = []
        for pts, m in zip(points, matrices):
            inverse = np.linalg.inv(np.vstack([m, [0.0, 0.0, 1.0]]))[:2]
            out.append(transform_points(pts, inverse))
        return np.stack(out).astype(np.float32)

    def __call__(
        self, img: np.ndarray, boxes: np.ndarray, crop_rule: Optional[dict] = None
    ) -> np.ndarray:
        """Points ``(N, K, 2)`` in image pixels of the faces in ``boxes`` ``(N, 4)``."""
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        if len(boxes) == 0:
            return np.zeros((0, 5, 2), np.float32)
        points = self._predict(img, self.initial_crop(boxes, crop_rule))
        for _ in range(self.refine):
            crops = []
            for pts, box in zip(points, boxes):
                try:
                    crops.append(landmark_box(pts, self.expand))
                except ValueError:
                    crops.append(self.initial_crop(box[None], crop_rule)[0])
            points = self._predict(img, np.stack(crops))
        return points


def probe_images(size: Sequence[int], count: int = 4) -> np.ndarray:
    """Fixed synthetic images ``(count, 3, H, W)`` (float32 BGR 0..255) that identify a model.

    Their embeddings are stored in a gallery and compared with those of the model
    used to recognise: the same network in any backend embeds them alike.
    """
    h, w = int(size[0]), int(size[1])
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    x, y = x / max(w - 1, 1), y / max(h - 1, 1)
    out = np.empty((count, 3, h, w), np.float32)
    for i in range(count):
        for c in range(3):
            phase = 1.3 * i + 2.1 * c
            wave = np.sin(2 * np.pi * ((i + 1) * x + (c + 1) * y * 0.7) + phase)
            blob = np.exp(-(((x - 0.5) ** 2 + (y - 0.45) ** 2) / (0.05 + 0.03 * i)))
            out[i, c] = 127.5 + 70 * wave * (1 - blob) + 50 * blob * np.cos(phase)
    return np.clip(out, 0, 255)


class FaceRecognitionPipeline:
    """Faces of an image, their 5 points, aligned crops and embeddings.

    Args:
        detector: The face detector.
        recognizer: A ``recognition`` inference model.
        landmarker: A ``landmarks`` inference model (LandNet) run on each face;
            None uses the detector's own points (the detector must give them).
        flip: Add the embedding of the mirrored crop (two recogniser runs).
        landmark_refine: Refinement passes of the landmark model.
        batch_size: Largest batch given to the recogniser.
        border_mode: How the aligned crop is filled where it leaves the image
            (``'replicate'``, as the recognisers are trained, or ``'constant'``
            black); None keeps the model's alignment setting. Faces at the image
            edge and tightly cropped photos need it: with black borders the quick
            model identified 22.5 % of the tight BBT crops instead of 40 %.
    """

    def __init__(
        self,
        detector: BaseFaceDetector,
        recognizer: InferenceModel,
        landmarker: Optional[InferenceModel] = None,
        flip: bool = False,
        landmark_refine: int = 1,
        batch_size: int = 32,
        border_mode: Optional[str] = 'replicate',
    ):
        if recognizer.task != 'recognition':
            raise ValueError(f'{recognizer.source} is a {recognizer.task} model, not a recogniser')
        if landmarker is None and not detector.provides_landmarks:
            raise ValueError(
                f'{type(detector).__name__} gives no facial points: pass a landmark model'
            )
        self.detector = detector
        self.recognizer = recognizer
        self.landmarker = (
            None if landmarker is None else FaceLandmarker(landmarker, refine=landmark_refine)
        )
        self.flip = bool(flip)
        self.batch_size = int(batch_size)
        self.alignment = alignment_params(recognizer.meta)
        if border_mode is not None:
            self.alignment['border_mode'] = border_mode
        self.aligner = AlignFace(**dict(self.alignment, fallback='error'))
        self.timer = StageTimer()

    def describe_model(self) -> dict:
        """What a gallery records of the recogniser, to refuse another model later."""
        meta = self.recognizer.meta
        probes = self.recognizer(probe_images(self.recognizer.input_size))
        return dict(
            source=str(self.recognizer.source),
            input_size=list(meta['input_size']),
            alignment=dict(self.alignment),
            output_dim=int(probes.shape[1]),
            fingerprint=self.recognizer.fingerprint(),
            flip=self.flip,
            probe_embeddings=np.round(l2_normalise(probes), 5).tolist(),
        )

    def detect(self, img: np.ndarray) -> FaceDetections:
        start = time.perf_counter()
        dets = self.detector(img)
        self.timer.add('detection', time.perf_counter() - start)
        return dets

    def landmarks(self, img: np.ndarray, dets: FaceDetections) -> np.ndarray:
        """5 points per detected face, from the landmark model or the detector."""
        if len(dets) == 0:
            return np.zeros((0, 5, 2), np.float32)
        if self.landmarker is None:
            return dets.landmarks
        start = time.perf_counter()
        rule = getattr(self.detector, 'landmark_crop', None)
        points = self.landmarker(img, dets.boxes, rule)
        self.timer.add('landmarks', time.perf_counter() - start, len(dets))
        return points

    def align(self, img: np.ndarray, landmarks: np.ndarray) -> List[np.ndarray]:
        """Face crops warped to the recogniser's template, uint8 BGR ``HxWx3``."""
        return [self.aligner({'img': img, 'landmarks': pts})['img'] for pts in landmarks]

    def embed(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """Unit-length embeddings ``(N, D)`` of aligned crops."""
        if len(crops) == 0:
            dim = self.recognizer.meta.get('output_dim')
            return np.zeros((0, dim if isinstance(dim, int) else 0), np.float32)
        start = time.perf_counter()
        outs = []
        for i in range(0, len(crops), self.batch_size):
            batch = np.stack(crops[i : i + self.batch_size]).transpose(0, 3, 1, 2)
            batch = batch.astype(np.float32)
            emb = np.asarray(self.recognizer(batch), dtype=np.float32)
            if self.flip:
                emb = emb + np.asarray(self.recognizer(batch[..., ::-1].copy()), np.float32)
            outs.append(emb)
        self.timer.add('embedding', time.perf_counter() - start, len(crops))
        return l2_normalise(np.concatenate(outs))

    def detect_padded(self, img: np.ndarray, pad: float) -> FaceDetections:
        """Detect on ``img`` with a grey border of ``pad`` times its longer side on each
        side (a face filling a tight crop is then found), in ``img``'s pixels."""
        p = int(round(pad * max(img.shape[:2])))
        padded = cv2.copyMakeBorder(img, p, p, p, p, cv2.BORDER_CONSTANT, value=(127, 127, 127))
        dets = self.detect(padded)
        boxes = dets.boxes - p
        points = None if dets.landmarks is None else dets.landmarks - p
        return FaceDetections(boxes, dets.scores, points)

    def __call__(
        self, img: np.ndarray, keep_aligned: bool = False, pad_retry: Sequence[float] = ()
    ) -> FrameFaces:
        """Detect, align and embed every face of a BGR image.

        Args:
            img: uint8 BGR image.
            keep_aligned: Also return the aligned crops.
            pad_retry: While no face is found, detect again on the image padded by each
                of these fractions of its longer side in turn (for photos cropped
                tightly around a face: a face filling the image is often missed).
        """
        img = check_bgr_image(img)
        dets = self.detect(img)
        for pad in pad_retry:
            if len(dets):
                break
            dets = self.detect_padded(img, pad)
        points = self.landmarks(img, dets)
        crops = self.align(img, points)
        emb = self.embed(crops)
        return FrameFaces(dets, points, emb, crops if keep_aligned else None)
