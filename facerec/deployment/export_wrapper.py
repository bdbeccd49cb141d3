"""The module that is exported: raw BGR pixels in, the model's features out."""

from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn

#: Names of the exported graph's input and of its output per task.
INPUT_NAME = 'input'
OUTPUT_NAMES = {'recognition': 'embedding', 'landmarks': 'landmarks'}


def _preprocessor_stats(
    preprocessor: Optional[nn.Module],
) -> Tuple[bool, Optional[torch.Tensor], Optional[torch.Tensor]]:
    """Read the channel swap, mean and std of an mmengine image data preprocessor.

    A preprocessor without ``_channel_conversion`` / ``_enable_normalize`` (for example
    mmengine's ``BaseDataPreprocessor``) only casts to float: no swap, no normalisation.
    """
    if preprocessor is None:
        return False, None, None
    bgr_to_rgb = bool(getattr(preprocessor, '_channel_conversion', False))
    if not getattr(preprocessor, '_enable_normalize', False):
        return bgr_to_rgb, None, None
    mean = torch.as_tensor(preprocessor.mean, dtype=torch.float32).reshape(1, -1, 1, 1)
    std = torch.as_tensor(preprocessor.std, dtype=torch.float32).reshape(1, -1, 1, 1)
    return bgr_to_rgb, mean.clone(), std.clone()


class ExportWrapper(nn.Module):
    """Wrap a model for export: raw ``(N, 3, H, W)`` BGR 0..255 float input, features out.

    The forward pass does what the model's data preprocessor does to a batch of
    uint8 BGR images (the BGR to RGB swap when the preprocessor has ``bgr_to_rgb``, then
    ``(x - mean) / std``) and calls ``model.extract_feat``. It works for any model with a
    ``data_preprocessor`` (an mmengine ``ImgDataPreprocessor`` or anything exposing the
    same ``_channel_conversion``, ``_enable_normalize``, ``mean`` and ``std``) and an
    ``extract_feat(inputs)`` method: :class:`~facerec.models.FaceRecognizer` (embeddings
    ``(N, D)``, not L2-normalised), :class:`~facerec.models.LandmarkRegressor` (landmarks
    ``(N, K, 2)`` as ``(x / W, y / H)``) and the compression wrappers around them.

    Args:
        model: The model to export, in eval mode.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        if not callable(getattr(model, 'extract_feat', None)):
            raise TypeError(
                f'{type(model).__name__} has no extract_feat(inputs) method; only models with '
                'a data_preprocessor and extract_feat can be exported'
            )
        self.model = model
        bgr_to_rgb, mean, std = _preprocessor_stats(getattr(model, 'data_preprocessor', None))
        self.bgr_to_rgb = bgr_to_rgb
        self.normalize = mean is not None
        self.register_buffer('mean', mean if mean is not None else torch.zeros(1, 3, 1, 1))
        self.register_buffer('std', std if std is not None else torch.ones(1, 3, 1, 1))

    def preprocess(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the data preprocessor's channel swap and normalisation to raw pixels."""
        if self.bgr_to_rgb:
            x = x[:, [2, 1, 0]]
        if self.normalize:
            x = (x - self.mean) / self.std
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map raw BGR 0..255 float images ``(N, 3, H, W)`` to the model's features."""
        return self.model.extract_feat(self.preprocess(x))

    def preprocessor_info(self) -> dict:
        """The preprocessing built into the graph, for the export metadata."""
        return dict(
            bgr_to_rgb=self.bgr_to_rgb,
            mean=self.mean.flatten().tolist() if self.normalize else None,
            std=self.std.flatten().tolist() if self.normalize else None,
        )


def task_of_output(output: torch.Tensor) -> str:
    """Tell the task from the shape of a model output.

    Args:
        output: The features of a batch: ``(N, D)`` embeddings or ``(N, K, 2)`` landmarks.

    Returns:
        ``'recognition'`` or ``'landmarks'``.

    Raises:
        ValueError: For any other shape.
    """
    if output.dim() == 2:
        return 'recognition'
    if output.dim() == 3 and output.shape[-1] == 2:
        return 'landmarks'
    raise ValueError(
        f'Cannot export a model whose extract_feat returns shape {tuple(output.shape)}: '
        'expected (N, D) embeddings or (N, K, 2) landmarks'
    )


def find_input_size(model: nn.Module) -> Optional[Tuple[int, int]]:
    """The ``(H, W)`` of the first submodule with an ``input_size`` pair (the backbone's)."""
    for module in model.modules():
        size = getattr(module, 'input_size', None)
        if isinstance(size, int) and not isinstance(size, bool):
            return size, size
        if isinstance(size, Sequence) and len(size) == 2 and all(isinstance(v, int) for v in size):
            return int(size[0]), int(size[1])
    return None
