from collections import Counter

import numpy as np
import pytest

import facerec.datasets  # noqa: F401
from facerec.datasets.samplers import IdentityBalancedSampler
from facerec.datasets.samplers import identity_balanced_sampler as sampler_module
from facerec.registry import DATA_SAMPLERS, DATASETS


class FakeIdentities:
    """50, 5, 1 and 20 images of identities 0..3."""

    def __init__(self, counts=(50, 5, 1, 20)):
        self.labels = np.concatenate([np.full(n, i) for i, n in enumerate(counts)])

    def __len__(self):
        return len(self.labels)

    def get_gt_labels(self):
        return self.labels


def fake_rank(monkeypatch, rank, world_size):
    monkeypatch.setattr(sampler_module, 'get_dist_info', lambda: (rank, world_size))


def test_identities_are_drawn_uniformly_and_deterministically():
    dataset = FakeIdentities()
    sampler = IdentityBalancedSampler(dataset, num_samples=20000, seed=0)
    assert len(sampler) == 20000 and sampler.num_identities == 4
    indices = list(sampler)
    assert indices == list(IdentityBalancedSampler(dataset, num_samples=20000, seed=0))
    counts = Counter(dataset.labels[indices].tolist())
    freqs = np.array([counts[i] for i in range(4)]) / len(indices)
    assert np.allclose(freqs, 0.25, atol=0.02)
    # Within an identity the images are drawn uniformly too.
    first = Counter(i for i in indices if dataset.labels[i] == 0)
    assert len(first) == 50


def test_set_epoch_changes_the_order():
    sampler = IdentityBalancedSampler(FakeIdentities(), seed=3)
    first = list(sampler)
    assert list(sampler) == first
    sampler.set_epoch(1)
    second = list(sampler)
    assert second != first and len(second) == len(first) == 76


def test_distributed_ranks_see_disjoint_sets_of_equal_size(monkeypatch):
    dataset = FakeIdentities()
    per_rank = []
    for rank in (0, 1):
        fake_rank(monkeypatch, rank, 2)
        sampler = IdentityBalancedSampler(dataset, num_samples=75, seed=0)
        sampler.set_epoch(2)
        per_rank.append(list(sampler))
        assert len(sampler) == 38 and len(per_rank[-1]) == 38
    assert not set(per_rank[0]) & set(per_rank[1])
    assert all(0 <= i < len(dataset) for i in per_rank[0] + per_rank[1])


def test_round_up_false_splits_the_draws(monkeypatch):
    sizes = []
    for rank in (0, 1):
        fake_rank(monkeypatch, rank, 2)
        sampler = IdentityBalancedSampler(FakeIdentities(), num_samples=7, round_up=False, seed=0)
        sizes.append(len(list(sampler)))
    assert sizes == [4, 3]


def test_bad_arguments(monkeypatch):
    with pytest.raises(ValueError, match='num_samples'):
        IdentityBalancedSampler(FakeIdentities(), num_samples=0, seed=0)
    fake_rank(monkeypatch, 0, 4)
    with pytest.raises(ValueError, match='per process'):
        IdentityBalancedSampler(FakeIdentities(counts=(1, 2)), seed=0)
    with pytest.raises(TypeError, match='labels'):
        IdentityBalancedSampler([0, 1, 2, 3], seed=0)


def test_built_from_registry_on_an_identity_dataset(identity_folder):
    dataset = DATASETS.build(dict(type='ImageFolderIdentities', data_root=str(identity_folder)))
    sampler = DATA_SAMPLERS.build(
        dict(type='IdentityBalancedSampler', num_samples=40),
        default_args=dict(dataset=dataset, seed=1),
    )
    indices = list(sampler)
    assert len(indices) == 40 and set(dataset.get_gt_labels()[indices]) <= {0, 1, 2, 3}
