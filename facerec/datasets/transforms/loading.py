"""Image loading."""

import os.path as osp

import cv2
import numpy as np

from facerec.registry import TRANSFORMS

from .base import BaseTransform


@TRANSFORMS.register_module()
class LoadImageFromFile(BaseTransform):
    """Read ``results['img_path']`` into ``results['img']`` (uint8, BGR, HxWx3).

    Grayscale files are expanded to three channels so every model sees BGR.

    Args:
        to_float32: Return a float32 image instead of uint8.
    """

    def __init__(self, to_float32: bool = False):
        self.to_float32 = to_float32

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        img = read_image(path)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['ori_shape'] = img.shape[:2]
        results['img_shape'] = img.shape[:2]
        return results


def read_image(path: str) -> np.ndarray:
    """Read an image file as a uint8 BGR array, with errors that name the file.

    Raises:
        FileNotFoundError: The file does not exist.
        OSError: The file exists but cannot be decoded as an image.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Image file not found: {path}')
    data = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        raise OSError(f'Cannot decode image file (corrupt or not an image): {path}')
    return img
