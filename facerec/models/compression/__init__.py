"""Model compression with NNCF: int8 quantisation-aware training and magnitude sparsity."""

from .base_compressed_model import BaseCompressedModel, CompressionStep, find_compressed_model
from .magnitude_sparsity import MagnitudeSparsity, SparsityStep
from .quantization_aware_training import QuantizationAwareTraining, QuantizationStep
from .sparsity_schedule import SparsitySchedule

__all__ = [
    'BaseCompressedModel',
    'find_compressed_model',
    'CompressionStep',
    'MagnitudeSparsity',
    'QuantizationAwareTraining',
    'QuantizationStep',
    'SparsitySchedule',
    'SparsityStep',
]
