"""Backbones that map face images to embeddings."""

from .mobilefacenet import MobileFaceNet

__all__ = ['MobileFaceNet']
