"""Pure numpy evaluation functions."""

from .detection import box_iou, detection_recall_precision, match_detections
from .identification import (
    DISTRACTOR_LABEL,
    cosine_similarity_matrix,
    evaluate_identification,
    far_metric_name,
    mate_ranks,
    split_gallery_probe,
    tar_at_far,
)
from .landmarks import evaluate_landmarks, landmark_errors
from .leave_one_out import leave_one_out_accuracy, leave_one_out_predictions
from .verification import best_threshold, cosine_similarity, evaluate_verification, roc_auc

__all__ = [
    'best_threshold',
    'cosine_similarity',
    'evaluate_verification',
    'roc_auc',
    'landmark_errors',
    'evaluate_landmarks',
    'DISTRACTOR_LABEL',
    'cosine_similarity_matrix',
    'evaluate_identification',
    'far_metric_name',
    'mate_ranks',
    'split_gallery_probe',
    'tar_at_far',
    'box_iou',
    'match_detections',
    'detection_recall_precision',
    'leave_one_out_accuracy',
    'leave_one_out_predictions',
]
