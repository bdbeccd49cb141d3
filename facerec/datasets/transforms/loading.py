"""Image loading."""

import contextlib
import os
import os.path as osp
import tempfile
import threading
from typing import IO, Iterator, List, Optional, Union

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
        return self._store(results, read_image(results['img_path']))

    def _store(self, results: dict, img: np.ndarray) -> dict:
        """Put ``img`` (cast to float32 with ``to_float32``) and its shape into ``results``."""
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
        OSError: The file exists but cannot be decoded as an image, or is a
            JPEG whose compressed data is corrupt (see :func:`imdecode_checked`).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Image file not found: {path}')
    data = np.fromfile(path, dtype=np.uint8)
    img = imdecode_checked(data, path) if data.size else None
    if img is None:
        raise OSError(f'Cannot decode image file (corrupt or not an image): {path}')
    return img


#: The libjpeg warnings that mean the compressed data is damaged.
CORRUPT_JPEG_WARNINGS = ('Corrupt JPEG data', 'Premature end of JPEG file')


_stderr_lock = threading.Lock()
_stderr_file: Optional[IO[bytes]] = None


def _new_stderr_capture() -> None:
    """A fresh lock and file (a forked child must not share the parent's)."""
    global _stderr_lock, _stderr_file
    _stderr_lock, _stderr_file = threading.Lock(), None


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_new_stderr_capture)


@contextlib.contextmanager
def _capture_stderr() -> Iterator[List[str]]:
    """Collect what is written to file descriptor 2 (where libjpeg prints its warnings)."""
    global _stderr_file
    lines: List[str] = []
    with _stderr_lock:
        if _stderr_file is None:
            _stderr_file = tempfile.TemporaryFile()
        fd = _stderr_file.fileno()
        saved = os.dup(2)
        os.dup2(fd, 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            size = os.lseek(fd, 0, os.SEEK_CUR)
            if size:
                os.lseek(fd, 0, os.SEEK_SET)
                lines += os.read(fd, size).decode('utf-8', 'replace').splitlines(keepends=True)
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)


def imdecode_checked(buf: np.ndarray, source: str) -> Optional[np.ndarray]:
    """``cv2.imdecode(buf, cv2.IMREAD_COLOR)`` that refuses a JPEG with corrupt data.

    OpenCV decodes a JPEG whose compressed data is damaged (bytes overwritten
    inside the file) into a partly garbled image, and libjpeg only prints an
    anonymous ``Corrupt JPEG data: ...`` warning to stderr. For JPEG data the
    warnings are collected during decoding (a few system calls; decodes of one
    process's threads are serialised) and those of :data:`CORRUPT_JPEG_WARNINGS`
    raise; other output is passed on to stderr.

    Raises:
        OSError: The JPEG data is corrupt (naming ``source`` and the warning).
    """
    if buf[:2].tobytes() != b'\xff\xd8':
        return cv2.imdecode(buf, cv2.IMREAD_COLOR)
    with _capture_stderr() as lines:
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    corrupt = [line.strip() for line in lines if line.startswith(CORRUPT_JPEG_WARNINGS)]
    other = ''.join(line for line in lines if not line.startswith(CORRUPT_JPEG_WARNINGS))
    if other:  # what other threads wrote meanwhile
        os.write(2, other.encode())
    if corrupt:
        raise OSError(f'Corrupt JPEG data in {source}: {corrupt[0]}')
    return img


@TRANSFORMS.register_module()
class LoadImageFromBytes(LoadImageFromFile):
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
        super().__init__(to_float32)
        self.keep_bytes = keep_bytes

    def transform(self, results: dict) -> dict:
        source = results.get('img_source')
        if source is None:
            source = f'sample {results.get("sample_idx", "?")}'
        if 'img_bytes' not in results:
            raise KeyError(f'LoadImageFromBytes: {source} has no "img_bytes"')
        data = results['img_bytes'] if self.keep_bytes else results.pop('img_bytes')
        return self._store(results, decode_image(data, source))


def decode_image(data: Union[bytes, bytearray, memoryview, np.ndarray], source: str) -> np.ndarray:
    """Decode an encoded image (JPEG, PNG...) held in memory as a uint8 BGR array.

    Grayscale images are expanded to three channels, as :func:`read_image` does.

    Args:
        data: The encoded bytes, or a uint8 array of them.
        source: Where the bytes come from, for the error message.

    Raises:
        OSError: The bytes are empty or cannot be decoded as an image, or hold
            a JPEG with corrupt data.
    """
    if isinstance(data, np.ndarray):
        buf = np.ascontiguousarray(data, dtype=np.uint8).reshape(-1)
    else:
        buf = np.frombuffer(data, dtype=np.uint8)
    img = imdecode_checked(buf, source) if buf.size else None
    if img is None:
        raise OSError(
            f'Cannot decode image bytes of {source} ({buf.size} bytes; corrupt or not an image)'
        )
    return img
