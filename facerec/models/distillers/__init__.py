"""Knowledge distillation: a student recogniser trained to follow a frozen teacher."""

from .embedding_distiller import EmbeddingDistiller, FrozenTeacher

__all__ = ['EmbeddingDistiller', 'FrozenTeacher']
