"""Pure numpy evaluation functions."""

from .landmarks import evaluate_landmarks, landmark_errors
from .verification import best_threshold, cosine_similarity, evaluate_verification, roc_auc

__all__ = [
    'best_threshold',
    'cosine_similarity',
    'evaluate_verification',
    'roc_auc',
    'landmark_errors',
    'evaluate_landmarks',
]
