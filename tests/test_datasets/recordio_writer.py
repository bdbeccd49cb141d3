"""A writer of MXNet RecordIO files in insightface's layout, to build test sets.

The layout is the one :mod:`facerec.datasets.recordio` reads (see its docstring).
"""

import os
import os.path as osp
from typing import Dict, Iterable, List, Tuple, Union

import numpy as np

from facerec.datasets.recordio import (
    IR_HEADER,
    LENGTH_BITS,
    MAGIC_BYTES,
    PART_FIRST,
    PART_LAST,
    PART_MIDDLE,
    PART_WHOLE,
    RECORD_WORD,
    RECORDIO_MAGIC,
)


def pack_payload(
    label: Union[float, int, Iterable[float]], img_bytes: bytes, id: int = 0, id2: int = 0
) -> bytes:
    """Build a record payload: the image-record header, its labels, then the image bytes.

    Args:
        label: One number (stored in the header), or a sequence of numbers
            (stored as float32 after the header, ``flag`` = their count).
        img_bytes: The encoded image.
        id: The header's ``id`` field.
        id2: The header's ``id2`` field.
    """
    if np.ndim(label) == 0:
        return IR_HEADER.pack(0, float(label), id, id2) + bytes(img_bytes)
    labels = np.asarray(label, dtype='<f4').reshape(-1)
    if labels.size == 0:
        raise ValueError('a label sequence must not be empty')
    return IR_HEADER.pack(labels.size, 0.0, id, id2) + labels.tobytes() + bytes(img_bytes)


def encode_record(payload: bytes) -> bytes:
    """The bytes of one record as stored in a ``.rec`` file.

    The payload is split at every 4-byte aligned occurrence of the magic (which
    is left out); each part gets the magic and its ``lrecord`` word; the last
    part is padded with zeros to a multiple of 4 bytes.
    """
    size = len(payload)
    if size >= 1 << LENGTH_BITS:
        raise ValueError(f'a record holds less than 2**{LENGTH_BITS} bytes, got {size}')
    out = bytearray()
    start = 0
    for pos in range(0, size - size % 4, 4):
        if payload[pos : pos + 4] == MAGIC_BYTES:
            cflag = PART_FIRST if start == 0 else PART_MIDDLE
            out += RECORD_WORD.pack(RECORDIO_MAGIC, (cflag << LENGTH_BITS) | (pos - start))
            out += payload[start:pos]
            start = pos + 4
    cflag = PART_WHOLE if start == 0 else PART_LAST
    out += RECORD_WORD.pack(RECORDIO_MAGIC, (cflag << LENGTH_BITS) | (size - start))
    out += payload[start:]
    out += bytes(-size % 4)
    return bytes(out)


class RecordIOWriter:
    """Write records to a ``.rec`` file and its ``.idx`` file.

    Args:
        rec_path: The ``.rec`` file to write.
        idx_path: The ``.idx`` file to write.
    """

    def __init__(self, rec_path: str, idx_path: str):
        for path in (rec_path, idx_path):
            folder = osp.dirname(path)
            if folder:
                os.makedirs(folder, exist_ok=True)
        self.rec_path, self.idx_path = rec_path, idx_path
        self._rec = open(rec_path, 'wb')
        self._idx = open(idx_path, 'w', encoding='utf-8')
        self._keys: set = set()

    def write(self, key: int, payload: bytes) -> None:
        """Append a record with this key."""
        if key in self._keys:
            raise ValueError(f'key {key} is already written to {self.rec_path}')
        self._keys.add(key)
        self._idx.write(f'{int(key)}\t{self._rec.tell()}\n')
        self._rec.write(encode_record(payload))

    def close(self) -> None:
        """Close both files."""
        self._rec.close()
        self._idx.close()

    def __enter__(self) -> 'RecordIOWriter':
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_recordio(
    path_prefix: str,
    samples: Iterable[Tuple[int, bytes]],
    insightface_header: bool = True,
) -> Tuple[str, str]:
    """Write ``<path_prefix>.rec`` and ``<path_prefix>.idx`` from labelled images.

    With ``insightface_header`` the files follow insightface's layout: the
    images are grouped by label (stable order) at keys ``1 .. N``, one
    identity record per label follows at keys ``N+1 .. N+C`` with labels
    ``(start, end)``, and record 0 is the header with labels
    ``(N + 1, N + C + 1)``; the labels must then be ``0 .. C-1``, all present.
    Without it, the images are written in the given order at keys ``0 .. N-1``.

    Args:
        path_prefix: Path of the files without the extension.
        samples: ``(label, encoded image bytes)`` pairs.
        insightface_header: Write insightface's header and identity records.

    Returns:
        The paths of the ``.rec`` and ``.idx`` files.
    """
    rec_path, idx_path = f'{path_prefix}.rec', f'{path_prefix}.idx'
    samples = [(int(label), bytes(img)) for label, img in samples]
    with RecordIOWriter(rec_path, idx_path) as writer:
        if not insightface_header:
            for key, (label, img) in enumerate(samples):
                writer.write(key, pack_payload(label, img, id=key))
            return rec_path, idx_path
        labels = sorted({label for label, _ in samples})
        if labels != list(range(len(labels))):
            raise ValueError(f'labels must be 0..C-1 with every label present, got {labels}')
        order = sorted(range(len(samples)), key=lambda i: samples[i][0])
        num_images = len(samples)
        first_identity = num_images + 1
        writer.write(0, pack_payload([first_identity, first_identity + len(labels)], b''))
        ranges: Dict[int, List[int]] = {}
        for key, i in enumerate(order, 1):
            label, img = samples[i]
            ranges.setdefault(label, [key, key])[1] = key + 1
            writer.write(key, pack_payload(label, img, id=key))
        for label in labels:
            writer.write(first_identity + label, pack_payload(ranges[label], b''))
    return rec_path, idx_path
