"""The LFW 10-fold face verification metric."""

from __future__ import annotations

import csv
import os
import os.path as osp
from typing import Any, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from facerec.registry import METRICS

from ..functional import cosine_similarity, evaluate_verification
from .feature_checks import check_finite_features

__all__ = ['LFWMetric']

_CSV_HEADER = ('fold', 'name1', 'idx1', 'name2', 'idx2', 'is_same', 'score')
_RESULT_KEYS = ('accuracy', 'accuracy_std', 'same_accuracy', 'diff_accuracy', 'auc', 'threshold')


def _to_numpy_feature(feature: Any) -> np.ndarray:
    """Convert an embedding (tensor or array-like) to a 1-D ``float32`` numpy array on cpu."""
    if isinstance(feature, torch.Tensor):
        feature = feature.detach().to(device='cpu', dtype=torch.float32).numpy()
    return np.asarray(feature, dtype=np.float32).reshape(-1)


@METRICS.register_module()
class LFWMetric(BaseMetric):
    """Face verification accuracy with the 10-fold LFW view-2 protocol.

    Every unique image is one dataset item and is embedded once. The pairs come from
    ``dataset_meta['pairs']`` (set by the evaluator from the dataset's ``metainfo``), a list of
    dicts with the keys ``fold``, ``name1``, ``idx1``, ``name2``, ``idx2``, ``is_same``,
    ``sample_idx1`` and ``sample_idx2``; ``sample_idx*`` index the dataset items. Each pair is
    scored with the cosine similarity of its two embeddings and the scores are evaluated with
    :func:`facerec.evaluation.functional.evaluate_verification`.

    Args:
        out_file: If given, a CSV file with one row per pair (``fold,name1,idx1,name2,idx2,
            is_same,score``) in the dataset order is written there. Defaults to None.
        collect_device: Device used to collect results across ranks, ``'cpu'`` or ``'gpu'``.
            Defaults to ``'cpu'``.
        prefix: Prefix of the metric names. Defaults to None, which uses ``'lfw'``.
    """

    default_prefix: str | None = 'lfw'

    def __init__(
        self,
        out_file: str | None = None,
        collect_device: str = 'cpu',
        prefix: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.out_file = out_file

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Store the embedding of every sample of a batch.

        Args:
            data_batch: The batch from the dataloader (unused).
            data_samples: The model outputs as dicts, each with ``'sample_idx'`` (int) and
                ``'pred_feature'`` (1-D tensor).

        Raises:
            ValueError: An embedding is not finite (the message names the images).
        """
        features = [_to_numpy_feature(sample['pred_feature']) for sample in data_samples]
        check_finite_features(data_samples, features)
        for sample, feature in zip(data_samples, features):
            self.results.append((int(sample['sample_idx']), feature))

    def _get_pairs(self) -> list[dict]:
        """Return the pairs from ``dataset_meta``, raising a clear error when they are absent."""
        if not self.dataset_meta or 'pairs' not in self.dataset_meta:
            raise KeyError(
                'LFWMetric needs the verification pairs in dataset_meta["pairs"]; '
                'the dataset metainfo does not provide them'
            )
        pairs = list(self.dataset_meta['pairs'])
        if not pairs:
            raise ValueError('dataset_meta["pairs"] is empty')
        return pairs

    def compute_metrics(self, results: list) -> dict[str, float]:
        """Score all pairs and run the k-fold protocol.

        Args:
            results: ``(sample_idx, feature)`` tuples collected from all ranks; duplicates are
                allowed.

        Returns:
            dict[str, float]: ``accuracy``, ``accuracy_std``, ``same_accuracy``,
            ``diff_accuracy``, ``auc`` and ``threshold``.

        Raises:
            KeyError: If ``dataset_meta`` has no pairs.
            ValueError: If a pair refers to an image that has no embedding, or the pairs are
                otherwise invalid.
        """
        pairs = self._get_pairs()
        features = {int(idx): feat for idx, feat in results}

        missing = sorted(
            {
                int(pair[key])
                for pair in pairs
                for key in ('sample_idx1', 'sample_idx2')
                if int(pair[key]) not in features
            }
        )
        if missing:
            shown = ', '.join(str(idx) for idx in missing[:10])
            more = f' and {len(missing) - 10} more' if len(missing) > 10 else ''
            raise ValueError(
                f'No embedding was computed for sample index(es) {shown}{more}, '
                'which the verification pairs refer to'
            )

        emb1 = np.stack([features[int(pair['sample_idx1'])] for pair in pairs])
        emb2 = np.stack([features[int(pair['sample_idx2'])] for pair in pairs])
        scores = cosine_similarity(emb1, emb2)
        is_same = np.array([bool(pair['is_same']) for pair in pairs])
        folds = np.array([int(pair['fold']) for pair in pairs])

        stats = evaluate_verification(scores, is_same, folds)

        print_log(
            f'Accuracy/Val_same_accuracy mean: {stats["same_accuracy"]:.4f}', logger='current'
        )
        print_log(
            f'Accuracy/Val_diff_accuracy mean: {stats["diff_accuracy"]:.4f}', logger='current'
        )
        print_log(f'Accuracy/Val_accuracy mean: {stats["accuracy"]:.4f}', logger='current')
        print_log(f'Accuracy/Val_accuracy std dev: {stats["accuracy_std"]:.4f}', logger='current')
        print_log(f'AUC: {stats["auc"]:.4f}', logger='current')
        print_log(f'Estimated threshold: {stats["threshold"]:.4f}', logger='current')

        if self.out_file is not None:
            self._write_csv(pairs, scores)

        return {key: float(stats[key]) for key in _RESULT_KEYS}

    def _write_csv(self, pairs: list[dict], scores: np.ndarray) -> None:
        """Write one CSV row per pair, in the dataset order, to ``self.out_file``."""
        parent = osp.dirname(osp.abspath(self.out_file))
        os.makedirs(parent, exist_ok=True)
        with open(self.out_file, 'w', newline='', encoding='utf-8') as f:
            writer = csv.writer(f)
            writer.writerow(_CSV_HEADER)
            for pair, score in zip(pairs, scores):
                writer.writerow(
                    (
                        int(pair['fold']),
                        pair['name1'],
                        int(pair['idx1']),
                        pair['name2'],
                        int(pair['idx2']),
                        int(bool(pair['is_same'])),
                        repr(float(score)),
                    )
                )
        print_log(f'Pair scores written to {self.out_file}', logger='current')
