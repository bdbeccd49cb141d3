"""Data samplers for training on identity datasets."""

from .identity_balanced_sampler import IdentityBalancedSampler, identity_labels

__all__ = ['IdentityBalancedSampler', 'identity_labels']
