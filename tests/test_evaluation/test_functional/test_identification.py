"""Identification maths: gallery/probe split, mate ranks, TAR@FAR (against sklearn)."""

import numpy as np
import pytest
from sklearn.metrics import roc_curve

from facerec.evaluation.functional import (
    cosine_similarity_matrix,
    evaluate_identification,
    far_metric_name,
    mate_ranks,
    split_gallery_probe,
    tar_at_far,
)


def test_cosine_similarity_matrix():
    a = np.array([[3.0, 4.0], [0.0, 0.0]])
    b = np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, 0.0]])
    expected = np.array([[0.6, 0.8, -0.6], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(cosine_similarity_matrix(a, b), expected)
    with pytest.raises(ValueError):
        cosine_similarity_matrix(a, np.ones((2, 3)))


def test_split_gallery_probe():
    labels = [4, 2, 4, -1, 2, 7, 4, -1]
    gallery, probes = split_gallery_probe(labels)
    # First image of each identity and every distractor go to the gallery.
    np.testing.assert_array_equal(gallery, [0, 1, 3, 5, 7])
    np.testing.assert_array_equal(probes, [2, 4, 6])
    flags = [False, True, True, True, False, False, False, True]
    gallery, probes = split_gallery_probe(labels, flags)
    np.testing.assert_array_equal(gallery, [1, 2, 3, 7])
    np.testing.assert_array_equal(probes, [0, 4, 5, 6])
    with pytest.raises(ValueError, match='distractors'):
        split_gallery_probe(labels, [True] * 7 + [False])
    with pytest.raises(ValueError, match='one boolean flag per item'):
        split_gallery_probe(labels, [True] * 3)
    with pytest.raises(ValueError, match='integer'):
        split_gallery_probe([0.5, 1.0])


def test_mate_ranks_by_hand():
    gallery_labels = [0, 1, 2, -1, 1]
    sim = [
        [0.9, 0.5, 0.95, 0.1, 0.2],  # mate 0.9, beaten by identity 2 -> rank 2
        [0.2, 0.3, 0.3, 0.6, 0.25],  # best mate 0.3: a tie (identity 2) and a distractor -> 3
        [0.4, 0.4, 0.4, 0.4, 0.4],  # identity 3 has no gallery image -> 0
        [0.1, 0.2, 0.0, 0.0, 0.7],  # its second gallery image is the best match -> rank 1
    ]
    ranks = mate_ranks(sim, [0, 1, 3, 1], gallery_labels)
    np.testing.assert_array_equal(ranks, [2, 3, 0, 1])
    with pytest.raises(ValueError, match='shape'):
        mate_ranks(sim, [0, 1], gallery_labels)


def test_tar_at_far_by_hand():
    genuine, impostor = [0.9, 0.8, 0.4], [0.85, 0.5, 0.3, 0.1]
    assert tar_at_far(genuine, impostor, 0.0) == pytest.approx(1 / 3)  # above 0.85
    assert tar_at_far(genuine, impostor, 0.25) == pytest.approx(2 / 3)  # above 0.5
    assert tar_at_far(genuine, impostor, 0.3) == pytest.approx(2 / 3)
    assert tar_at_far(genuine, impostor, 0.5) == 1.0  # above 0.3
    assert tar_at_far(genuine, impostor, 1.0) == 1.0
    assert np.isnan(tar_at_far([], impostor, 0.1))
    with pytest.raises(ValueError):
        tar_at_far(genuine, impostor, 1.5)


def sklearn_tar_at_far(genuine, impostor, far):
    scores = np.concatenate([genuine, impostor])
    truth = np.concatenate([np.ones(len(genuine)), np.zeros(len(impostor))])
    fpr, tpr, _ = roc_curve(truth, scores, drop_intermediate=False)
    return tpr[fpr <= far + 1e-12].max()


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_tar_at_far_matches_sklearn_roc_curve(seed):
    rng = np.random.default_rng(seed)
    genuine = np.round(rng.normal(0.6, 0.2, 300), 2)  # rounded: many ties
    impostor = np.round(rng.normal(0.1, 0.2, 2000), 2)
    for far in (0.0, 1e-3, 2.5e-3, 0.01, 0.0333, 0.1, 0.5, 0.9995, 1.0):
        assert tar_at_far(genuine, impostor, far) == pytest.approx(
            sklearn_tar_at_far(genuine, impostor, far)
        ), far


def brute_force_ranks(sim, probe_labels, gallery_labels):
    ranks = []
    for row, label in zip(sim, probe_labels):
        order = np.argsort(-row, kind='stable')
        ordered = np.asarray(gallery_labels)[order]
        if label not in ordered:
            ranks.append(0)
            continue
        first = int(np.flatnonzero(ordered == label)[0])
        ranks.append(1 + int(np.sum(ordered[:first] != label)))
    return np.array(ranks)


def test_evaluate_identification_against_brute_force_and_sklearn():
    rng = np.random.default_rng(5)
    centres = rng.normal(size=(6, 8))
    gallery_labels = np.array([0, 1, 2, 3, 4, -1, -1, -1, 2])
    gallery = np.where(gallery_labels[:, None] >= 0, centres[gallery_labels], 0.0)
    gallery = gallery + rng.normal(size=gallery.shape)
    probe_labels = rng.integers(0, 6, 40)  # identity 5 has no gallery image
    probes = centres[probe_labels] + 1.5 * rng.normal(size=(40, 8))
    stats = evaluate_identification(
        probes, probe_labels, gallery, gallery_labels, ranks=(1, 3), far_targets=(0.01, 0.1, 1e-3)
    )
    sim = cosine_similarity_matrix(probes, gallery)
    expected = brute_force_ranks(sim, probe_labels, gallery_labels)
    np.testing.assert_array_equal(stats['mate_ranks'], expected)
    mated = expected > 0
    assert stats['num_mated_probes'] == mated.sum() == np.sum(probe_labels != 5)
    assert stats['rank1'] == pytest.approx(np.mean(expected[mated] == 1))
    assert stats['rank3'] == pytest.approx(np.mean(expected[mated] <= 3))
    genuine_mask = probe_labels[:, None] == gallery_labels[None, :]
    assert stats['num_genuine'] == genuine_mask.sum()
    assert stats['num_impostor'] == 40 * 9 - genuine_mask.sum()
    for far in (0.01, 0.1):
        assert stats[far_metric_name(far)] == pytest.approx(
            sklearn_tar_at_far(sim[genuine_mask], sim[~genuine_mask], far)
        )
    # 1e-3 needs 1000 impostor pairs; with about 330 it is not reported.
    assert 'tar@far=1e-3' not in stats and far_metric_name(0.01) == 'tar@far=1e-2'


def test_evaluate_identification_by_hand():
    # 2-D unit vectors: gallery at 0, 90 and 180 degrees; probes at 20 (identity 0),
    # 75 (identity 1) and 150 degrees (identity 1, but nearer identity 2's image).
    def unit(deg):
        return [np.cos(np.radians(deg)), np.sin(np.radians(deg))]

    stats = evaluate_identification(
        [unit(20), unit(75), unit(150)], [0, 1, 1], [unit(0), unit(90), unit(180)], [0, 1, 2]
    )
    np.testing.assert_array_equal(stats['mate_ranks'], [1, 1, 2])
    assert stats['rank1'] == pytest.approx(2 / 3) and stats['rank5'] == 1.0
    assert not any(k.startswith('tar@far') for k in stats)  # 6 impostor pairs: too few
