"""Face detection measures: box IoU and greedy matching of detections to ground truth."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

__all__ = ['box_iou', 'match_detections', 'detection_recall_precision']


def box_iou(a: Any, b: Any) -> np.ndarray:
    """Intersection over union of every box of ``a`` with every box of ``b``.

    Boxes are ``[x1, y1, x2, y2]`` with continuous coordinates (area ``(x2 - x1) * (y2 - y1)``).

    Args:
        a: ``(N, 4)`` boxes.
        b: ``(M, 4)`` boxes.

    Returns:
        np.ndarray: ``(N, M)`` float64 IoU values in ``[0, 1]``.
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def match_detections(
    pred_boxes: Any, pred_scores: Any, gt_boxes: Any, iou_threshold: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Match detections to ground-truth boxes greedily, in order of decreasing score.

    Each detection takes the unmatched ground-truth box it overlaps most, if that
    IoU is at least ``iou_threshold`` (the PASCAL VOC rule).

    Args:
        pred_boxes: ``(N, 4)`` detected boxes.
        pred_scores: ``(N,)`` their scores.
        gt_boxes: ``(M, 4)`` ground-truth boxes.
        iou_threshold: Lowest IoU of a match.

    Returns:
        tuple: ``matched_gt`` ``(N,)`` int, the index of the box each detection
        matched or ``-1``, and ``best_iou`` ``(M,)``, the IoU of each
        ground-truth box with its matched detection (0 when missed).
    """
    pred_boxes = np.asarray(pred_boxes, dtype=np.float64).reshape(-1, 4)
    pred_scores = np.asarray(pred_scores, dtype=np.float64).reshape(-1)
    gt_boxes = np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4)
    if len(pred_scores) != len(pred_boxes):
        raise ValueError(f'{len(pred_boxes)} boxes but {len(pred_scores)} scores')
    iou = box_iou(pred_boxes, gt_boxes)
    matched_gt = np.full(len(pred_boxes), -1, dtype=np.int64)
    gt_iou = np.zeros(len(gt_boxes))
    taken = np.zeros(len(gt_boxes), dtype=bool)
    for i in np.argsort(-pred_scores, kind='stable'):
        if len(gt_boxes) == 0:
            break
        candidates = np.where(taken, -1.0, iou[i])
        j = int(np.argmax(candidates))
        if candidates[j] >= iou_threshold:
            matched_gt[i] = j
            taken[j] = True
            gt_iou[j] = iou[i, j]
    return matched_gt, gt_iou


def detection_recall_precision(
    preds: Sequence[tuple[Any, Any]], gts: Sequence[Any], iou_threshold: float = 0.5
) -> dict:
    """Recall and precision of a detector over several images.

    Args:
        preds: Per image, ``(boxes (N, 4), scores (N,))``.
        gts: Per image, ground-truth boxes ``(M, 4)``.
        iou_threshold: Lowest IoU of a true positive.

    Returns:
        dict: ``recall``, ``precision``, ``true_positives``, ``num_detections``,
        ``num_ground_truth`` and ``mean_iou`` (of the matched pairs).
    """
    if len(preds) != len(gts):
        raise ValueError(f'{len(preds)} predictions for {len(gts)} images')
    tp = num_det = num_gt = 0
    ious = []
    for (boxes, scores), gt in zip(preds, gts):
        matched, gt_iou = match_detections(boxes, scores, gt, iou_threshold)
        tp += int((matched >= 0).sum())
        num_det += len(matched)
        num_gt += len(gt_iou)
        ious.extend(gt_iou[gt_iou > 0].tolist())
    return dict(
        recall=tp / num_gt if num_gt else float('nan'),
        precision=tp / num_det if num_det else float('nan'),
        true_positives=tp,
        num_detections=num_det,
        num_ground_truth=num_gt,
        mean_iou=float(np.mean(ious)) if ious else float('nan'),
    )
