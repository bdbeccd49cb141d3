"""MTCNN with the weights that ship inside the facenet-pytorch wheel.

Install without the wheel's old torch pin: ``pip install --no-deps facenet-pytorch``.
Nothing is downloaded: the three networks' state dicts are read from the package's
``data/`` folder, weights-only.
"""

import os.path as osp
from typing import Optional, Sequence

import numpy as np
import torch

from facerec.registry import DETECTORS

from .base_detector import BaseFaceDetector, FaceDetections

__all__ = ['MTCNNDetector']

_INSTALL_HINT = (
    'install it with `pip install --no-deps facenet-pytorch` (its weights ship in the wheel)'
)


def _load_mtcnn_networks():
    """The P-, R- and O-Nets of facenet-pytorch with their packaged weights, in eval mode."""
    try:
        from facenet_pytorch.models import mtcnn as fnp_mtcnn
    except ImportError as err:
        raise ImportError(f'MTCNNDetector needs facenet-pytorch: {_INSTALL_HINT} ({err})') from err
    data_dir = osp.join(osp.dirname(osp.dirname(fnp_mtcnn.__file__)), 'data')
    nets = []
    for cls, name in ((fnp_mtcnn.PNet, 'pnet'), (fnp_mtcnn.RNet, 'rnet'), (fnp_mtcnn.ONet, 'onet')):
        path = osp.join(data_dir, f'{name}.pt')
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'MTCNN weights not found at {path}: the facenet-pytorch installation is '
                f'incomplete; reinstall it ({_INSTALL_HINT})'
            )
        net = cls(pretrained=False)
        net.load_state_dict(torch.load(path, map_location='cpu', weights_only=True))
        nets.append(net.eval())
    return nets


@DETECTORS.register_module()
class MTCNNDetector(BaseFaceDetector):
    """The MTCNN cascade (P-Net proposals, R-Net and O-Net refinement) with its 5 points.

    Uses facenet-pytorch's cascade code; images smaller than ``min_face_size``
    (on which that code fails) simply have no faces.

    Args:
        min_face_size: Smallest face side searched for, in pixels.
        thresholds: Score thresholds of the three stages.
        factor: Scale step of the image pyramid.
        score_threshold: Lowest final (O-Net) score kept.
        max_side: Longer image side the detector works at (None: full size).
        num_threads: torch CPU threads while detecting (None: leave as is). The
            cascade runs many tiny operations, which gain nothing from more threads;
            on a busy machine two threads ran 15-50x slower than one here.
    """

    provides_landmarks = True

    # Measured on 300 LFW images (MTCNN boxes against the square of side 2x the
    # extent of MTCNN's own 5 points): centre 7% of the box height lower, side
    # 0.88 of the box's mean side (spread 2% and 6%, within LandNet's training jitter).
    landmark_crop = dict(scale=0.88, shift=(0.0, 0.07))

    def __init__(
        self,
        min_face_size: int = 20,
        thresholds: Sequence[float] = (0.6, 0.7, 0.7),
        factor: float = 0.709,
        score_threshold: float = 0.9,
        max_side: int = 1280,
        num_threads: Optional[int] = 1,
    ):
        super().__init__(score_threshold=score_threshold, max_side=max_side)
        if min_face_size < 12:
            raise ValueError(
                f'min_face_size must be at least 12 (P-Net window), got {min_face_size}'
            )
        if len(thresholds) != 3 or not all(0 <= t <= 1 for t in thresholds):
            raise ValueError(f'thresholds must be three values in [0, 1], got {thresholds}')
        if not 0 < factor < 1:
            raise ValueError(f'factor must be in (0, 1), got {factor}')
        self.min_face_size = int(min_face_size)
        self.thresholds = [float(t) for t in thresholds]
        self.factor = float(factor)
        self.num_threads = num_threads
        self.pnet, self.rnet, self.onet = _load_mtcnn_networks()

    @torch.no_grad()
    def detect_faces(self, img: np.ndarray) -> FaceDetections:
        from facenet_pytorch.models.utils.detect_face import detect_face

        if min(img.shape[:2]) < self.min_face_size:
            return FaceDetections.empty(with_landmarks=True)
        rgb = np.ascontiguousarray(img[:, :, ::-1])
        threads = torch.get_num_threads()
        if self.num_threads:
            torch.set_num_threads(self.num_threads)
        try:
            boxes, points = detect_face(
                rgb,
                self.min_face_size,
                self.pnet,
                self.rnet,
                self.onet,
                self.thresholds,
                self.factor,
                'cpu',
            )
        except RuntimeError as err:
            # The cascade concatenates the crops of a stage; when every candidate box
            # of a stage is degenerate the list is empty and torch.cat fails.
            if 'non-empty list' not in str(err):
                raise
            return FaceDetections.empty(with_landmarks=True)
        finally:
            torch.set_num_threads(threads)
        boxes = np.asarray(boxes[0], dtype=np.float32).reshape(-1, 5)
        points = np.asarray(points[0], dtype=np.float32).reshape(-1, 5, 2)
        if len(boxes) == 0:
            return FaceDetections.empty(with_landmarks=True)
        return FaceDetections(boxes[:, :4], boxes[:, 4], points)
