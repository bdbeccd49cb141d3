"""IdentificationMetric: gallery/probe split from metainfo or by rule, results and CSV output."""

import csv

import numpy as np
import pytest
import torch

from facerec.evaluation.functional import evaluate_identification, split_gallery_probe
from facerec.evaluation.metrics import IdentificationMetric
from facerec.registry import METRICS
from facerec.utils.runner_utils import METRIC_ALIASES


def synthetic(seed=0, n=60, ids=6, dim=12):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(ids, dim))
    labels = rng.integers(0, ids, n)
    feats = (centres[labels] + rng.normal(size=(n, dim))).astype(np.float32)
    return feats, labels


def samples_of(feats, labels=None):
    out = []
    for i, feat in enumerate(feats):
        sample = dict(sample_idx=i, pred_feature=torch.from_numpy(feat))
        if labels is not None:
            sample['gt_label'] = torch.tensor(int(labels[i]))
        out.append(sample)
    return out


def test_metric_with_the_first_image_rule():
    feats, labels = synthetic()
    metric = METRICS.build(dict(type='IdentificationMetric', far_targets=(1e-2, 1e-3)))
    assert METRIC_ALIASES['ident'] == dict(type='IdentificationMetric')
    metric.dataset_meta = dict(classes=('a',))
    samples = samples_of(feats, labels)
    metric.process(None, samples[::-1])  # any order, with duplicates
    metric.process(None, samples[:10])
    result = metric.evaluate(len(feats))
    gallery, probes = split_gallery_probe(labels)
    expected = evaluate_identification(
        feats[probes], labels[probes], feats[gallery], labels[gallery], far_targets=(1e-2,)
    )
    assert set(result) == {'ident/rank1', 'ident/rank5', 'ident/tar@far=1e-2'}
    for key in ('rank1', 'rank5', 'tar@far=1e-2'):
        assert result[f'ident/{key}'] == pytest.approx(expected[key])
    assert 0.0 < result['ident/rank1'] < result['ident/rank5'] <= 1.0


def test_metric_with_gallery_and_distractors_from_metainfo(tmp_path):
    # Identity 0: items 0, 1; identity 1: items 2, 3; distractors: 4, 5 (labels -1).
    e = np.eye(3, dtype=np.float32)
    feats = np.stack([e[0], e[0] + 0.1 * e[1], e[1], e[2] + 0.2 * e[1], e[2], e[0] + 0.1 * e[2]])
    meta = dict(
        labels=[0, 0, 1, 1, -1, -1],
        gallery=[True, False, True, False, True, True],
    )
    out = tmp_path / 'ident.csv'
    metric = IdentificationMetric(ranks=(1, 2), far_targets=(0.5,), out_file=str(out))
    metric.dataset_meta = meta
    metric.process(None, samples_of(feats))  # labels come from the metainfo
    result = metric.evaluate(6)
    # Probe 1 is nearest its mate (item 0); probe 3 is nearer distractor 4 than its mate 2.
    assert result['ident/rank1'] == 0.5 and result['ident/rank2'] == 1.0

    # Genuine scores: cos(1, 0) and cos(3, 2); impostor scores: the 6 other probe-gallery pairs.
    def sim(i, j):
        return float(feats[i] @ feats[j] / np.linalg.norm(feats[i]) / np.linalg.norm(feats[j]))

    impostor = sorted(
        (sim(p, g) for p in (1, 3) for g in (0, 2, 4, 5) if (p, g) not in ((1, 0), (3, 2))),
        reverse=True,
    )
    genuine = [sim(1, 0), sim(3, 2)]
    assert result['ident/tar@far=5e-1'] == pytest.approx(np.mean(np.array(genuine) > impostor[3]))
    with open(out, newline='') as f:
        rows = list(csv.reader(f))
    assert rows[0] == [
        'sample_idx',
        'label',
        'mate_rank',
        'top1_sample_idx',
        'top1_label',
        'top1_score',
    ]
    assert [r[:5] for r in rows[1:]] == [['1', '0', '1', '0', '0'], ['3', '1', '2', '4', '-1']]
    assert float(rows[2][5]) == pytest.approx(sim(3, 4))


def test_metric_errors():
    feats, labels = synthetic(n=4)
    metric = IdentificationMetric()
    metric.process(None, samples_of(feats))
    with pytest.raises(ValueError, match='no gt_label'):
        metric.compute_metrics(metric.results)
    metric = IdentificationMetric()
    metric.process(None, samples_of(feats, [0, 1, 2, 3]))
    with pytest.raises(ValueError, match='needs gallery items and probes'):
        metric.compute_metrics(metric.results)


def test_non_finite_embeddings_are_refused_with_the_images_named():
    feats, labels = synthetic()
    feats[7, 2] = np.nan
    samples = samples_of(feats, labels)
    for i, sample in enumerate(samples):
        sample['img_path'] = f'ids/{i}.jpg'
    del samples[7]['img_path']  # named by its index then
    metric = IdentificationMetric()
    with pytest.raises(ValueError, match=r'for 1 of the 10 images of a batch: sample 7;'):
        metric.process(None, samples[:10])
    samples[7]['img_path'] = 'ids/7.jpg'
    with pytest.raises(ValueError, match=r'ids/7\.jpg'):
        metric.process(None, samples[5:8])
