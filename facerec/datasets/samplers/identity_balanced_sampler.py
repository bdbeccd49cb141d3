"""A sampler that draws every identity equally often, whatever its image count."""

import math
from typing import Iterator, Optional, Sized

import numpy as np
import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from facerec.registry import DATA_SAMPLERS
from facerec.utils.checks import check_positive_int


def identity_labels(dataset: Sized) -> np.ndarray:
    """The identity label of every sample of ``dataset``.

    Uses ``dataset.get_gt_labels()`` (see
    :class:`~facerec.datasets.BaseIdentityDataset`), else the ``gt_label`` of
    ``dataset.get_data_info(i)``.

    Args:
        dataset (Sized): The dataset.

    Returns:
        np.ndarray: Integer labels of shape (len(dataset),).
    """
    if hasattr(dataset, 'get_gt_labels'):
        labels = dataset.get_gt_labels()
    elif hasattr(dataset, 'get_data_info'):
        labels = [dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))]
    else:
        raise TypeError(
            f'{type(dataset).__name__} has neither get_gt_labels() nor get_data_info(); '
            'IdentityBalancedSampler needs the identity labels'
        )
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != len(dataset):
        raise ValueError(f'Got {len(labels)} labels for a dataset of {len(dataset)} samples')
    return labels


@DATA_SAMPLERS.register_module()
class IdentityBalancedSampler(Sampler):
    """Sample images with replacement so that each identity is equally likely.

    Image ``i`` of an identity with ``n`` images is drawn with probability
    proportional to ``1 / n``, so every draw picks each identity with the same
    probability ``1 / num_identities`` (and an image uniformly within it).
    ``num_samples`` draws make one epoch over all processes; the order depends
    only on ``seed + epoch`` (call :meth:`set_epoch`, as mmengine's
    ``DistSamplerSeedHook`` does), so it is reproducible.

    In distributed training (rank and world size from :mod:`mmengine.dist`, as
    in mmengine's ``DefaultSampler``) the dataset indices are first split
    between the processes by a random permutation shared by all of them
    (re-drawn every epoch), and each process draws only from its own part, with
    the same ``1 / n`` weights. The processes therefore see disjoint sets of
    images; the identity balance then holds in expectation up to how evenly the
    permutation splits each identity (exact with one process).

    Args:
        dataset (Sized): The dataset, with ``get_gt_labels()`` (or
            ``get_data_info(i)['gt_label']``).
        num_samples (int, optional): Draws per epoch over all processes.
            Defaults to ``len(dataset)``.
        seed (int, optional): Random seed, identical across processes. Defaults
            to a seed synchronised across processes.
        round_up (bool): Give every process ``ceil(num_samples / world_size)``
            draws (the total is rounded up to a multiple of the world size);
            otherwise the ``num_samples`` draws are divided as evenly as
            possible, the first ranks getting one more. Defaults to True.
    """

    def __init__(
        self,
        dataset: Sized,
        num_samples: Optional[int] = None,
        seed: Optional[int] = None,
        round_up: bool = True,
    ) -> None:
        rank, world_size = get_dist_info()
        self.rank = rank
        self.world_size = world_size
        self.dataset = dataset
        self.labels = identity_labels(dataset)
        if len(self.labels) < world_size:
            raise ValueError(
                f'IdentityBalancedSampler needs at least one image per process, got '
                f'{len(self.labels)} images for {world_size} processes'
            )
        if num_samples is None:
            num_samples = len(self.labels)
        num_samples = check_positive_int('num_samples', num_samples)
        if seed is None:
            seed = sync_random_seed()
        self.seed = int(seed)
        self.epoch = 0
        self.round_up = bool(round_up)
        if self.round_up:
            self.num_samples = math.ceil(num_samples / world_size)
            self.total_size = self.num_samples * world_size
        else:
            self.num_samples = math.ceil((num_samples - rank) / world_size)
            self.total_size = int(num_samples)
        _, inverse, counts = np.unique(self.labels, return_inverse=True, return_counts=True)
        self.num_identities = len(counts)
        self.weights = torch.from_numpy(1.0 / counts[inverse.reshape(-1)]).to(torch.float64)

    def _own_indices(self, generator: torch.Generator) -> torch.Tensor:
        """The dataset indices this process draws from in the current epoch."""
        if self.world_size == 1:
            return torch.arange(len(self.labels))
        perm = torch.randperm(len(self.labels), generator=generator)
        return perm[self.rank :: self.world_size].sort().values

    def __iter__(self) -> Iterator[int]:
        """Yield this process's ``len(self)`` dataset indices for the epoch."""
        generator = torch.Generator()
        generator.manual_seed(self.seed + self.epoch)
        own = self._own_indices(generator)
        cdf = torch.cumsum(self.weights[own], dim=0)
        # Each process draws from its own stream, so their batches are not correlated.
        state = np.random.SeedSequence([self.seed, self.epoch, self.rank]).generate_state(1)
        generator.manual_seed(int(state[0]))
        draws = torch.rand(self.num_samples, generator=generator, dtype=torch.float64)
        positions = torch.searchsorted(cdf, draws * cdf[-1], right=True)
        positions = positions.clamp(max=len(own) - 1)
        return iter(own[positions].tolist())

    def __len__(self) -> int:
        """The number of samples drawn by this process per epoch."""
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch, which seeds the draws of the next iteration.

        Args:
            epoch (int): Epoch number.
        """
        self.epoch = epoch
