"""Batching and normalisation of face images."""

from typing import Optional, Sequence

from mmengine.model import ImgDataPreprocessor

from facerec.registry import MODELS


@MODELS.register_module()
class FaceDataPreprocessor(ImgDataPreprocessor):
    """Stack, move to device, convert BGR to RGB and normalise face images.

    Images come from the pipeline as uint8 BGR ``(3, H, W)`` tensors; the
    result is a float ``(N, 3, H, W)`` batch ``(x - mean) / std``.

    Args:
        mean: Per-channel mean, in RGB order when ``bgr_to_rgb`` is True.
        std: Per-channel std, same order as ``mean``.
        bgr_to_rgb: Swap the channel order before normalising.
        pad_size_divisor: Pad the batch so H and W divide by it.
    """

    def __init__(
        self,
        mean: Optional[Sequence[float]] = (127.5, 127.5, 127.5),
        std: Optional[Sequence[float]] = (128.0, 128.0, 128.0),
        bgr_to_rgb: bool = True,
        pad_size_divisor: int = 1,
        non_blocking: bool = False,
    ):
        super().__init__(
            mean=mean,
            std=std,
            pad_size_divisor=pad_size_divisor,
            bgr_to_rgb=bgr_to_rgb,
            non_blocking=non_blocking,
        )
