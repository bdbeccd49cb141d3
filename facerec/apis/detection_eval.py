"""Face detector (and 5-point) evaluation on photos with box annotations in dlib's XML format.

dlib's ``imglab`` files list ``<image file=...>`` elements with ``<box top left width
height>`` children, optionally holding 68 ``<part name x y>`` points (the iBUG 300-W
scheme). The 5 points of the pipeline are derived from them: the centres of the two
eyes (points 36-41 and 42-47), the nose tip (30) and the mouth corners (48, 54).
"""

import os.path as osp
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np

from facerec.evaluation.functional import (
    detection_recall_precision,
    landmark_errors,
    match_detections,
)

from .detectors import BaseFaceDetector
from .face_pipeline import FaceLandmarker
from .media import read_image

__all__ = ['AnnotatedImage', 'five_points_from_68', 'load_dlib_faces', 'evaluate_face_detector']


@dataclass
class AnnotatedImage:
    """An image's annotated faces: boxes ``(M, 4)`` ``[x1, y1, x2, y2]`` in pixel-centre
    coordinates and, when annotated, their 5 points ``(M, 5, 2)``."""

    path: str
    boxes: np.ndarray
    landmarks: Optional[np.ndarray]


def five_points_from_68(parts: np.ndarray) -> np.ndarray:
    """The pipeline's 5 points from the 68 iBUG points ``(68, 2)``."""
    parts = np.asarray(parts, dtype=np.float64).reshape(68, 2)
    return np.stack(
        [parts[36:42].mean(0), parts[42:48].mean(0), parts[30], parts[48], parts[54]]
    ).astype(np.float32)


def load_dlib_faces(xml_path: str) -> List[AnnotatedImage]:
    """Read a dlib face-box XML file; image paths are resolved beside it.

    Raises:
        FileNotFoundError: No such file.
        ValueError: Not a dlib dataset file, or a malformed box (the message names it).
    """
    if not osp.isfile(xml_path):
        raise FileNotFoundError(f'Annotation file not found: {xml_path}')
    try:
        root = ET.parse(xml_path).getroot()
    except ET.ParseError as err:
        raise ValueError(f'{xml_path}: not valid XML ({err})') from err
    images = root.find('images')
    if root.tag != 'dataset' or images is None:
        raise ValueError(f'{xml_path}: not a dlib dataset file (<dataset><images>...)')
    folder = osp.dirname(osp.abspath(xml_path))
    out = []
    for image in images.findall('image'):
        name = image.get('file')
        boxes, points = [], []
        for box in image.findall('box'):
            try:
                top, left = float(box.get('top')), float(box.get('left'))
                width, height = float(box.get('width')), float(box.get('height'))
            except (TypeError, ValueError) as err:
                raise ValueError(f'{xml_path}: bad box of {name}: {box.attrib}') from err
            boxes.append([left - 0.5, top - 0.5, left + width - 0.5, top + height - 0.5])
            parts = {p.get('name'): (float(p.get('x')), float(p.get('y'))) for p in box}
            if len(parts) == 68:
                points.append(five_points_from_68([parts[f'{i:02d}'] for i in range(68)]))
        landmarks = np.stack(points) if points and len(points) == len(boxes) else None
        out.append(
            AnnotatedImage(
                osp.join(folder, name), np.array(boxes, np.float32).reshape(-1, 4), landmarks
            )
        )
    return out


def evaluate_face_detector(
    detector: BaseFaceDetector,
    images: Sequence[AnnotatedImage],
    iou_threshold: float = 0.5,
    landmarker: Optional[FaceLandmarker] = None,
) -> Dict[str, float]:
    """Detection recall and precision at an IoU threshold, and 5-point errors.

    Returns:
        :func:`~facerec.evaluation.functional.detection_recall_precision`'s numbers; where
        the annotations have points, ``detector_nme`` (the detector's own points) and
        ``landmarker_nme`` (the landmark model's, on the detected boxes): mean point
        error over the inter-ocular distance, on the matched faces.
    """
    preds, gts = [], []
    pred_points, lm_points, gt_points = [], [], []
    for item in images:
        img = read_image(item.path)
        dets = detector(img)
        preds.append((dets.boxes, dets.scores))
        gts.append(item.boxes)
        if item.landmarks is None:
            continue
        matched, _ = match_detections(dets.boxes, dets.scores, item.boxes, iou_threshold)
        keep = np.flatnonzero(matched >= 0)
        if len(keep) == 0:
            continue
        gt_points.append(item.landmarks[matched[keep]])
        if dets.landmarks is not None:
            pred_points.append(dets.landmarks[keep])
        if landmarker is not None:
            rule = getattr(detector, 'landmark_crop', None)
            lm_points.append(landmarker(img, dets.boxes[keep], rule))
    result = detection_recall_precision(preds, gts, iou_threshold)
    if gt_points:
        gt = np.concatenate(gt_points)
        result['faces_with_points'] = len(gt)
        if pred_points:
            result['detector_nme'] = float(landmark_errors(np.concatenate(pred_points), gt).mean())
        if lm_points:
            result['landmarker_nme'] = float(landmark_errors(np.concatenate(lm_points), gt).mean())
    return result
