"""A face detector from an OpenVINO IR with an SSD ``DetectionOutput`` head.

The layout of Open Model Zoo's face-detection-retail-0004/0005 and
face-detection-adas-0001: one input ``1x3xHxW`` BGR with raw 0..255 values, one
output ``[1, 1, N, 7]`` whose rows are ``[image_id, label, conf, x_min, y_min,
x_max, y_max]`` with coordinates normalised to the image; a row with
``image_id < 0`` ends the list.
"""

import os.path as osp
from typing import Optional

import cv2
import numpy as np

from facerec.registry import DETECTORS

from .base_detector import BaseFaceDetector, FaceDetections

__all__ = ['OpenVINOSSDDetector', 'parse_detection_output']


def parse_detection_output(
    out: np.ndarray, width: int, height: int, label: Optional[int] = None
) -> FaceDetections:
    """Boxes and scores of an SSD ``[1, 1, N, 7]`` detection output, in image pixels.

    Args:
        out: The output, any shape that reshapes to ``(N, 7)``.
        width: Image width, the normalised x coordinates are scaled by it.
        height: Image height.
        label: Keep only rows of this class label (None: every row).

    Returns:
        The detections (no landmarks), clipped to the image.
    """
    out = np.asarray(out, dtype=np.float32)
    if out.size % 7 != 0 or out.size == 0:
        raise ValueError(
            f'Expected a detection output of shape [1, 1, N, 7], got {tuple(out.shape)}'
        )
    rows = out.reshape(-1, 7)
    end = np.flatnonzero(rows[:, 0] < 0)
    if len(end):
        rows = rows[: end[0]]
    if label is not None:
        rows = rows[rows[:, 1] == label]
    boxes = rows[:, 3:7] * np.array([width, height, width, height], np.float32)
    boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, width)
    boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, height)
    valid = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    return FaceDetections(boxes[valid] - 0.5, rows[valid, 2])


@DETECTORS.register_module()
class OpenVINOSSDDetector(BaseFaceDetector):
    """Face detection with an OpenVINO IR in the Open Model Zoo SSD layout.

    The image is resized to the network's input size (aspect ratio not kept,
    as those models expect) and passed as float32 BGR 0..255.

    Args:
        model: Path of the IR's ``.xml`` (the ``.bin`` beside it).
        score_threshold: Lowest confidence kept.
        label: Class label of faces in the output (None: every row).
        input_size: ``(H, W)`` for a network with a dynamic spatial input
            (ignored when the IR fixes it).
        device: OpenVINO device name.
        num_threads: CPU inference threads (None: OpenVINO's default).
        max_side: Not used by the resize-to-input networks; kept for the interface.
    """

    def __init__(
        self,
        model: str,
        score_threshold: float = 0.5,
        label: Optional[int] = None,
        input_size: Optional[tuple] = None,
        device: str = 'CPU',
        num_threads: Optional[int] = None,
        max_side: Optional[int] = None,
    ):
        super().__init__(score_threshold=score_threshold, max_side=max_side)
        from facerec.deployment.runtime import read_openvino_model
        from facerec.utils.checks import check_size

        if not osp.isfile(model):
            raise FileNotFoundError(f'Face detection IR not found: {model}')
        core, net = read_openvino_model(model, ' (an SSD DetectionOutput)')
        shape = net.inputs[0].get_partial_shape()
        if shape.rank.is_dynamic or shape.rank.get_length() != 4:
            raise ValueError(f'{model}: expected a 1x3xHxW input, got {shape}')
        if shape[1].is_static and shape[1].get_length() != 3:
            raise ValueError(f'{model}: expected 3 input channels (BGR), got {shape}')
        if shape[2].is_static and shape[3].is_static:
            self.input_size = (shape[2].get_length(), shape[3].get_length())
        elif input_size is not None:
            self.input_size = check_size('input_size', input_size)
        else:
            raise ValueError(f'{model}: the input size is dynamic ({shape}); pass input_size')
        config = {} if num_threads is None else {'INFERENCE_NUM_THREADS': int(num_threads)}
        self.model_path = model
        self.label = label
        self._compiled = core.compile_model(net, device, config)

    def detect_faces(self, img: np.ndarray) -> FaceDetections:
        h, w = img.shape[:2]
        in_h, in_w = self.input_size
        resized = cv2.resize(img, (in_w, in_h), interpolation=cv2.INTER_LINEAR)
        blob = resized.transpose(2, 0, 1)[None].astype(np.float32)
        # share_inputs=False: OpenVINO copies the input instead of keeping a view of this
        # call's temporary array in the compiled model's request, which outlives the call.
        out = self._compiled(blob, share_inputs=False)[0]
        return parse_detection_output(out, w, h, self.label)
