"""Face identification: rank-k identification rate and TAR@FAR over a gallery and probes."""

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

from ..functional.identification import (
    evaluate_identification,
    far_metric_name,
    split_gallery_probe,
)
from .feature_checks import check_finite_features

__all__ = ['IdentificationMetric']

_CSV_HEADER = ('sample_idx', 'label', 'mate_rank', 'top1_sample_idx', 'top1_label', 'top1_score')


def _as_feature(feature: Any) -> np.ndarray:
    if isinstance(feature, torch.Tensor):
        feature = feature.detach().to(device='cpu', dtype=torch.float32).numpy()
    return np.asarray(feature, dtype=np.float32).reshape(-1)


def _as_label(label: Any) -> int | None:
    if label is None:
        return None
    if isinstance(label, torch.Tensor):
        label = label.detach().cpu().reshape(-1)
        return int(label[0]) if label.numel() else None
    return int(np.asarray(label).reshape(-1)[0])


@METRICS.register_module()
class IdentificationMetric(BaseMetric):
    """Closed/open-set face identification over the items of a dataset.

    Each item is embedded once; items are identified by ``sample_idx``.

    * Labels: ``dataset_meta['labels'][sample_idx]`` when the dataset metainfo has ``'labels'``,
      else the item's ``gt_label``. Label ``-1`` marks a distractor (a gallery image of nobody
      among the probes).
    * Gallery and probes: ``dataset_meta['gallery'][sample_idx]`` (True for a gallery item) when
      the metainfo has ``'gallery'``, else the rule of
      :func:`~facerec.evaluation.functional.split_gallery_probe`: the first item (lowest
      ``sample_idx``) of each identity is its gallery image, the others are probes, distractors
      are gallery items.

    Every probe is compared with every gallery item by cosine similarity; see
    :func:`~facerec.evaluation.functional.evaluate_identification` for the rank-k rates (over the
    probes that have a mate in the gallery) and the TAR@FAR values (reported where there are at
    least ``1 / far`` impostor pairs).

    Args:
        ranks: The ``k`` of the reported rank-k identification rates.
        far_targets: The false accept rates of the reported TARs.
        out_file: If given, a CSV file with one row per probe
            (``sample_idx,label,mate_rank,top1_sample_idx,top1_label,top1_score``; rank 0 = no
            mate in the gallery) is written there.
        collect_device: Device used to collect results across ranks.
        prefix: Prefix of the metric names. Defaults to None, which uses ``'ident'``.
    """

    default_prefix: str | None = 'ident'

    def __init__(
        self,
        ranks: Sequence[int] = (1, 5),
        far_targets: Sequence[float] = (1e-3, 1e-4, 1e-6),
        out_file: str | None = None,
        collect_device: str = 'cpu',
        prefix: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ranks = tuple(int(k) for k in ranks)
        self.far_targets = tuple(float(f) for f in far_targets)
        self.out_file = out_file

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Store the embedding and label of every sample of a batch.

        Args:
            data_batch: The batch from the dataloader (unused).
            data_samples: The model outputs as dicts with ``'sample_idx'``, ``'pred_feature'``
                and, unless the dataset metainfo has ``'labels'``, ``'gt_label'``.

        Raises:
            ValueError: An embedding is not finite (the message names the images).
        """
        features = [_as_feature(sample['pred_feature']) for sample in data_samples]
        check_finite_features(data_samples, features)
        for sample, feature in zip(data_samples, features):
            self.results.append(
                (int(sample['sample_idx']), feature, _as_label(sample.get('gt_label')))
            )

    def _labels(self, indices: np.ndarray, found: dict[int, int | None]) -> np.ndarray:
        meta = self.dataset_meta or {}
        if 'labels' in meta:
            table = meta['labels']
            return np.array([int(table[i]) for i in indices], dtype=np.int64)
        missing = [int(i) for i in indices if found[int(i)] is None]
        if missing:
            raise ValueError(
                f'IdentificationMetric: sample {missing[0]} has no gt_label and the dataset '
                'metainfo has no "labels"'
            )
        return np.array([found[int(i)] for i in indices], dtype=np.int64)

    def _gallery_flags(self, indices: np.ndarray) -> np.ndarray | None:
        meta = self.dataset_meta or {}
        if 'gallery' not in meta:
            return None
        table = meta['gallery']
        return np.array([bool(table[i]) for i in indices])

    def compute_metrics(self, results: list) -> dict[str, float]:
        """Split the items, score the probes against the gallery and compute the measures.

        Args:
            results: ``(sample_idx, feature, label)`` tuples from all ranks; duplicates allowed.

        Returns:
            dict[str, float]: ``rank<k>`` and ``tar@far=<m>e<x>`` values.
        """
        features = {idx: feat for idx, feat, _ in results}
        found = {idx: label for idx, _, label in results}
        if not features:
            raise ValueError('IdentificationMetric received no embeddings')
        indices = np.array(sorted(features), dtype=np.int64)
        labels = self._labels(indices, found)
        gallery_pos, probe_pos = split_gallery_probe(labels, self._gallery_flags(indices))
        if gallery_pos.size == 0 or probe_pos.size == 0:
            raise ValueError(
                f'IdentificationMetric needs gallery items and probes; got {gallery_pos.size} '
                f'gallery items and {probe_pos.size} probes out of {indices.size} items'
            )
        feats = np.stack([features[int(i)] for i in indices])
        stats = evaluate_identification(
            feats[probe_pos],
            labels[probe_pos],
            feats[gallery_pos],
            labels[gallery_pos],
            ranks=self.ranks,
            far_targets=self.far_targets,
        )
        print_log(
            f'Identification: {stats["num_probes"]} probes ({stats["num_mated_probes"]} with a '
            f'mate) against {stats["num_gallery"]} gallery items; {stats["num_genuine"]} genuine '
            f'and {stats["num_impostor"]} impostor pairs',
            logger='current',
        )
        skipped = [f for f in self.far_targets if far_metric_name(f) not in stats]
        if skipped:
            print_log(
                f'TAR@FAR not reported for FAR {skipped}: fewer than 1/FAR impostor pairs',
                logger='current',
            )
        if self.out_file is not None:
            self._write_csv(indices, labels, gallery_pos, probe_pos, stats)
        keys = [f'rank{k}' for k in self.ranks] + [k for k in stats if k.startswith('tar@far=')]
        return {key: float(stats[key]) for key in keys}

    def _write_csv(
        self,
        indices: np.ndarray,
        labels: np.ndarray,
        gallery_pos: np.ndarray,
        probe_pos: np.ndarray,
        stats: dict,
    ) -> None:
        parent = osp.dirname(osp.abspath(self.out_file))
        os.makedirs(parent, exist_ok=True)
        sim = stats['similarity']
        top = sim.argmax(axis=1)
        with open(self.out_file, 'w', newline='', encoding='utf-8') as f:
            writer = csv.writer(f)
            writer.writerow(_CSV_HEADER)
            for row, pos in enumerate(probe_pos):
                best = gallery_pos[top[row]]
                writer.writerow(
                    (
                        int(indices[pos]),
                        int(labels[pos]),
                        int(stats['mate_ranks'][row]),
                        int(indices[best]),
                        int(labels[best]),
                        repr(float(sim[row, top[row]])),
                    )
                )
        print_log(f'Probe results written to {self.out_file}', logger='current')
