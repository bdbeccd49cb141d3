"""Image loading."""

import os.path as osp
from typing import Union

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


@TRANSFORMS.register_module()
class LoadImageFromBytes(BaseTransform):
    """Decode ``results['img_bytes']`` (an encoded image) into ``results['img']`` (uint8 BGR).

    For datasets that hold encoded images instead of files: insightface's
    RecordIO training sets and ``.bin`` verification sets. A decoding error
    names the image by ``results['img_source']`` (set by those datasets, e.g.
    ``'train.rec, record 17'``), else by ``sample_idx``.

    Args:
        to_float32: Return a float32 image instead of uint8.
        keep_bytes: Keep ``img_bytes`` in the results; by default it is removed
            once decoded, so the encoded copy does not travel further.
    """

    def __init__(self, to_float32: bool = False, keep_bytes: bool = False):
        self.to_float32 = to_float32
        self.keep_bytes = keep_bytes

    def transform(self, results: dict) -> dict:
        source = results.get('img_source')
        if source is None:
            source = f'sample {results.get("sample_idx", "?")}'
        if 'img_bytes' not in results:
            raise KeyError(f'LoadImageFromBytes: {source} has no "img_bytes"')
        data = results['img_bytes'] if self.keep_bytes else results.pop('img_bytes')
        img = decode_image(data, source)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['ori_shape'] = img.shape[:2]
        results['img_shape'] = img.shape[:2]
        return results


def decode_image(data: Union[bytes, bytearray, memoryview, np.ndarray], source: str) -> np.ndarray:
    """Decode an encoded image (JPEG, PNG...) held in memory as a uint8 BGR array.

    Grayscale images are expanded to three channels, as :func:`read_image` does.

    Args:
        data: The encoded bytes, or a uint8 array of them.
        source: Where the bytes come from, for the error message.

    Raises:
        OSError: The bytes are empty or cannot be decoded as an image.
    """
    if isinstance(data, np.ndarray):
        buf = np.ascontiguousarray(data, dtype=np.uint8).reshape(-1)
    else:
        buf = np.frombuffer(data, dtype=np.uint8)
    img = cv2.imdecode(buf, cv2.IMREAD_COLOR) if buf.size else None
    if img is None:
        raise OSError(
            f'Cannot decode image bytes of {source} ({buf.size} bytes; corrupt or not an image)'
        )
    return img
