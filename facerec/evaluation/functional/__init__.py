"""Pure numpy evaluation functions."""

from .verification import best_threshold, cosine_similarity, evaluate_verification, roc_auc

__all__ = ['best_threshold', 'cosine_similarity', 'evaluate_verification', 'roc_auc']
