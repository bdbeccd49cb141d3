"""The face detector interface: BGR image in, boxes + scores (+ optional 5 points) out."""

from abc import ABCMeta, abstractmethod
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

__all__ = ['BaseFaceDetector', 'FaceDetections', 'check_bgr_image']


@dataclass
class FaceDetections:
    """The faces found in one image.

    Attributes:
        boxes: ``(N, 4)`` float32 ``[x1, y1, x2, y2]`` in image pixels.
        scores: ``(N,)`` float32 confidences.
        landmarks: ``(N, 5, 2)`` float32 points (left eye, right eye, nose, left
            and right mouth corner, "left" = image left) in image pixels, or
            None when the detector gives no points.
    """

    boxes: np.ndarray
    scores: np.ndarray
    landmarks: Optional[np.ndarray] = None

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float32).reshape(-1, 4)
        self.scores = np.asarray(self.scores, dtype=np.float32).reshape(-1)
        if len(self.scores) != len(self.boxes):
            raise ValueError(f'{len(self.boxes)} boxes but {len(self.scores)} scores')
        if self.landmarks is not None:
            self.landmarks = np.asarray(self.landmarks, dtype=np.float32).reshape(-1, 5, 2)
            if len(self.landmarks) != len(self.boxes):
                raise ValueError(f'{len(self.boxes)} boxes but {len(self.landmarks)} landmark sets')

    def __len__(self) -> int:
        return len(self.boxes)

    @classmethod
    def empty(cls, with_landmarks: bool = False) -> 'FaceDetections':
        """No faces."""
        points = np.zeros((0, 5, 2), np.float32) if with_landmarks else None
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), points)

    def select(self, keep: np.ndarray) -> 'FaceDetections':
        """The detections at the indices or boolean mask ``keep``."""
        points = None if self.landmarks is None else self.landmarks[keep]
        return FaceDetections(self.boxes[keep], self.scores[keep], points)

    def scaled(self, factor: float) -> 'FaceDetections':
        """Coordinates multiplied by ``factor`` about the pixel-centre origin convention
        (pixel centres at integers, so a pixel edge at -0.5 stays at -0.5)."""
        boxes = (self.boxes + 0.5) * factor - 0.5
        points = None if self.landmarks is None else (self.landmarks + 0.5) * factor - 0.5
        return FaceDetections(boxes, self.scores, points)


def check_bgr_image(img: np.ndarray) -> np.ndarray:
    """Return ``img`` as a contiguous uint8 ``HxWx3`` BGR array, or raise a clear error."""
    if not isinstance(img, np.ndarray):
        raise TypeError(f'Expected a numpy image, got {type(img).__name__}')
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.ndim != 3 or img.shape[2] not in (3, 4) or img.shape[0] == 0 or img.shape[1] == 0:
        raise ValueError(f'Expected an HxWx3 BGR image, got shape {img.shape}')
    if img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    if img.dtype != np.uint8:
        raise ValueError(f'Expected a uint8 image, got {img.dtype}')
    return np.ascontiguousarray(img)


class BaseFaceDetector(metaclass=ABCMeta):
    """Finds faces in a BGR image.

    Subclasses implement :meth:`detect_faces` on the (possibly downscaled)
    image; calling the detector checks the image, downscales it so its longer
    side is at most ``max_side``, keeps detections scoring at least
    ``score_threshold`` and maps them back to the input's pixels.

    Args:
        score_threshold: Lowest confidence kept.
        max_side: Longer image side the detector works at (None: full size).
            Large photos are detected much faster, at the cost of the smallest faces.
    """

    #: Whether :meth:`detect_faces` also returns 5 facial points.
    provides_landmarks: bool = False

    #: How this detector's boxes relate to the crop a landmark model was trained on
    #: (a square of side 2x the extent of the 5 points, centred on them): the crop
    #: centre is the box centre moved by ``shift`` (fractions of the box width and
    #: height), its side ``scale`` times the box's mean side. See
    #: :class:`facerec.apis.face_pipeline.FaceLandmarker`.
    landmark_crop: dict = dict(scale=1.0, shift=(0.0, 0.0))

    def __init__(self, score_threshold: float = 0.5, max_side: Optional[int] = None):
        if not 0 <= score_threshold <= 1:
            raise ValueError(f'score_threshold must be in [0, 1], got {score_threshold}')
        if max_side is not None and max_side < 32:
            raise ValueError(f'max_side must be None or at least 32, got {max_side}')
        self.score_threshold = float(score_threshold)
        self.max_side = max_side

    @abstractmethod
    def detect_faces(self, img: np.ndarray) -> FaceDetections:
        """Detect the faces of a uint8 BGR ``HxWx3`` image, in its pixels."""

    def __call__(self, img: np.ndarray) -> FaceDetections:
        img = check_bgr_image(img)
        h, w = img.shape[:2]
        factor = 1.0
        if self.max_side is not None and max(h, w) > self.max_side:
            factor = self.max_side / max(h, w)
            size = (max(1, round(w * factor)), max(1, round(h * factor)))
            img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
            factor = w / size[0]
        dets = self.detect_faces(img)
        dets = dets.select(dets.scores >= self.score_threshold)
        if factor != 1.0:
            dets = dets.scaled(factor)
        order = np.argsort(-dets.scores, kind='stable')
        return dets.select(order)

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(score_threshold={self.score_threshold}, '
            f'max_side={self.max_side})'
        )
