import csv

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from facerec.evaluation.metrics import LFWMetric
from facerec.evaluation.metrics import lfw_metric as lfw_metric_module
from facerec.registry import METRICS

NAMES = ['Alice_A', 'Bob_B', 'Carol_C', 'Dave_D']
IMAGES_PER_ID = 5
NUM_FOLDS = 10
DIM = 16


def build_synthetic(seed=0):
    """4 identities x 5 images, 10 folds x 6 pairs drawn so that images are reused."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(NAMES), DIM))
    items = []  # (sample_idx, name, image number, identity)
    feats = []
    for pid, name in enumerate(NAMES):
        for img in range(1, IMAGES_PER_ID + 1):
            items.append((len(items), name, img, pid))
            feats.append(centres[pid] + 1.2 * rng.normal(size=DIM))
    feats = np.asarray(feats, dtype=np.float32)

    pairs = []
    for fold in range(NUM_FOLDS):
        for k in range(6):
            same = k < 3
            pid1 = int(rng.integers(len(NAMES)))
            pid2 = pid1 if same else int((pid1 + rng.integers(1, len(NAMES))) % len(NAMES))
            i1, i2 = rng.choice(IMAGES_PER_ID, size=2, replace=False)
            a = items[pid1 * IMAGES_PER_ID + int(i1)]
            b = items[pid2 * IMAGES_PER_ID + int(i2)]
            pairs.append(
                dict(
                    fold=fold,
                    name1=a[1],
                    idx1=a[2],
                    name2=b[1],
                    idx2=b[2],
                    is_same=same,
                    sample_idx1=a[0],
                    sample_idx2=b[0],
                )
            )
    return feats, pairs


def reference_scores(feats, pairs):
    a = feats[[p['sample_idx1'] for p in pairs]].astype(np.float64)
    b = feats[[p['sample_idx2'] for p in pairs]].astype(np.float64)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def reference_protocol(scores, is_same, folds):
    """Independent brute-force k-fold protocol."""
    accs, sames, diffs, thrs = [], [], [], []
    for k in np.unique(folds):
        train, test = folds != k, folds == k
        values = np.unique(scores[train])
        cands = [values[0] - 1.0]
        cands += [(values[i] + values[i + 1]) / 2 for i in range(len(values) - 1)]
        cands.append(values[-1] + 1.0)
        train_acc = [np.mean((scores[train] > t) == is_same[train]) for t in cands]
        t = cands[int(np.argmax(train_acc))]  # first = smallest on ties
        pred = scores[test] > t
        accs.append(np.mean(pred == is_same[test]))
        sames.append(np.mean(pred[is_same[test]]))
        diffs.append(np.mean(~pred[~is_same[test]]))
        thrs.append(t)
    return dict(
        accuracy=np.mean(accs),
        accuracy_std=np.std(accs),
        same_accuracy=np.mean(sames),
        diff_accuracy=np.mean(diffs),
        auc=roc_auc_score(is_same, scores),
        threshold=np.mean(thrs),
    )


def feed(metric, feats, indices, batch_size=3):
    indices = list(indices)
    for start in range(0, len(indices), batch_size):
        batch = indices[start : start + batch_size]
        samples = [
            dict(sample_idx=i, pred_feature=torch.from_numpy(feats[i]), img_path=f'{i}.jpg')
            for i in batch
        ]
        metric.process(None, samples)


@pytest.fixture
def captured_logs(monkeypatch):
    messages = []

    def fake_print_log(msg, logger=None, level=None):
        messages.append(str(msg))

    monkeypatch.setattr(lfw_metric_module, 'print_log', fake_print_log)
    return messages


def test_registered():
    metric = METRICS.build(dict(type='LFWMetric'))
    assert isinstance(metric, LFWMetric)
    assert metric.prefix == 'lfw'
    assert LFWMetric(prefix='val').prefix == 'val'


def test_evaluate_matches_reference(tmp_path, captured_logs):
    feats, pairs = build_synthetic()
    used = {p['sample_idx1'] for p in pairs} | {p['sample_idx2'] for p in pairs}
    assert len(used) < 2 * len(pairs)  # images are shared between pairs

    out_file = tmp_path / 'sub' / 'dir' / 'lfw_scores.csv'
    metric = LFWMetric(out_file=str(out_file))
    metric.dataset_meta = {'pairs': pairs}
    feed(metric, feats, range(len(feats)))
    # Duplicates, as left by distributed collection, must be harmless.
    feed(metric, feats, [0, 1, 2])
    res = metric.evaluate(len(metric.results))

    keys = ('accuracy', 'accuracy_std', 'same_accuracy', 'diff_accuracy', 'auc', 'threshold')
    assert set(res) == {f'lfw/{k}' for k in keys}
    assert all(isinstance(v, float) for v in res.values())
    assert metric.results == []

    scores = reference_scores(feats, pairs)
    is_same = np.array([p['is_same'] for p in pairs])
    folds = np.array([p['fold'] for p in pairs])
    ref = reference_protocol(scores, is_same, folds)
    for k in keys:
        assert res[f'lfw/{k}'] == pytest.approx(ref[k], abs=1e-6), k
    assert 0.5 < res['lfw/auc'] <= 1.0

    expected_logs = [
        f'Accuracy/Val_same_accuracy mean: {ref["same_accuracy"]:.4f}',
        f'Accuracy/Val_diff_accuracy mean: {ref["diff_accuracy"]:.4f}',
        f'Accuracy/Val_accuracy mean: {ref["accuracy"]:.4f}',
        f'Accuracy/Val_accuracy std dev: {ref["accuracy_std"]:.4f}',
        f'AUC: {ref["auc"]:.4f}',
        f'Estimated threshold: {ref["threshold"]:.4f}',
    ]
    assert captured_logs[:6] == expected_logs

    with open(out_file, newline='') as f:
        rows = list(csv.reader(f))
    assert rows[0] == ['fold', 'name1', 'idx1', 'name2', 'idx2', 'is_same', 'score']
    assert len(rows) == len(pairs) + 1
    for row, pair, score in zip(rows[1:], pairs, scores):
        assert row[:6] == [
            str(pair['fold']),
            pair['name1'],
            str(pair['idx1']),
            pair['name2'],
            str(pair['idx2']),
            '1' if pair['is_same'] else '0',
        ]
        assert float(row[6]) == pytest.approx(score, abs=1e-6)


def test_no_csv_by_default(tmp_path, captured_logs, monkeypatch):
    monkeypatch.chdir(tmp_path)
    feats, pairs = build_synthetic(seed=1)
    metric = LFWMetric()
    metric.dataset_meta = {'pairs': pairs}
    feed(metric, feats, range(len(feats)))
    res = metric.evaluate(len(feats))
    assert 'lfw/accuracy' in res
    assert list(tmp_path.iterdir()) == []


def test_process_accepts_other_dtypes():
    metric = LFWMetric()
    metric.process(
        None,
        [
            dict(sample_idx=torch.tensor(3), pred_feature=torch.ones(4, dtype=torch.float16)),
            dict(sample_idx=np.int64(5), pred_feature=torch.ones(1, 4, dtype=torch.float64)),
        ],
    )
    (i0, f0), (i1, f1) = metric.results
    assert (i0, i1) == (3, 5)
    assert f0.dtype == np.float32 and f0.shape == (4,)
    assert f1.dtype == np.float32 and f1.shape == (4,)


def test_missing_feature_raises(captured_logs):
    feats, pairs = build_synthetic()
    missing = pairs[7]['sample_idx2']
    metric = LFWMetric()
    metric.dataset_meta = {'pairs': pairs}
    feed(metric, feats, [i for i in range(len(feats)) if i != missing])
    with pytest.raises(ValueError, match=rf'sample index\(es\) {missing}\b'):
        metric.evaluate(len(feats))


def test_missing_pairs_raises():
    metric = LFWMetric()
    metric.process(None, [dict(sample_idx=0, pred_feature=torch.ones(4))])
    with pytest.raises(KeyError, match='pairs'):
        metric.evaluate(1)


def test_non_finite_embeddings_are_refused_with_the_images_named():
    feats, pairs = build_synthetic()
    metric = LFWMetric()
    metric.dataset_meta = dict(pairs=pairs)
    samples = [
        dict(sample_idx=i, pred_feature=torch.from_numpy(f), img_path=f'lfw/img_{i}.jpg')
        for i, f in enumerate(feats)
    ]
    metric.process(None, samples[:4])
    broken = samples[4:10]
    for k in (1, 2, 3, 5):
        broken[k]['pred_feature'] = torch.full((DIM,), float('nan') if k != 3 else float('inf'))
    with pytest.raises(
        ValueError,
        match=r'non-finite embeddings \(NaN or inf\) for 4 of the 6 images of a batch: '
        r'lfw/img_5\.jpg, lfw/img_6\.jpg, lfw/img_7\.jpg and 1 more',
    ):
        metric.process(None, broken)
    bin_sample = dict(sample_idx=3, pred_feature=torch.full((DIM,), float('nan')))
    bin_sample['img_source'] = 'lfw.bin, image 3'
    with pytest.raises(ValueError, match=r'1 of the 1 images of a batch: lfw\.bin, image 3'):
        metric.process(None, [bin_sample])
