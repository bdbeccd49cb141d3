"""MXNet RecordIO files, as insightface packs its training sets, read without mxnet.

insightface distributes MS1M-ArcFace, Glint360K, CASIA-WebFace and others as a
``train.rec`` of records plus a ``train.idx`` index. The layout, all integers
little-endian:

* ``train.idx``: one text line ``key<TAB>offset`` per record, ``offset`` the
  byte position of the record in ``train.rec``.
* A record on disk: uint32 magic ``0xced7230a``, uint32 ``lrecord`` whose upper
  3 bits are ``cflag`` and lower 29 bits the byte length of the data that
  follows, the data, then zero bytes up to a multiple of 4. A payload that
  contains the magic at a 4-byte aligned position is split there into parts
  (``cflag`` 1 = first part, 2 = middle, 3 = last; 0 = a whole record): the
  magic itself is left out of the parts, and reading joins the parts with the
  magic between them.
* A payload: the image-record header ``struct('<IfQQ')`` = ``(flag, label, id,
  id2)``; when ``flag > 0`` it is followed by ``flag`` float32 labels (and the
  ``label`` field is 0); then the encoded image (JPEG).

insightface's record 0 is a header, not an image: its ``flag`` is positive and
its labels ``(a, b)`` say that keys ``1 .. a-1`` are the images and keys
``a .. b-1`` are one record per identity, whose labels ``(start, end)`` give
the range of image keys of that identity (the identity's label is its position
``key - a``). Without such a header, every record of the index is an image
labelled by its own header (the first label when it has several). Labels are
float32, exact for integers up to 2**24 (16.7M): keys beyond that, as in the
header of Glint360K, are rounded the same way insightface's own reader rounds
them.
"""

import os
import os.path as osp
import struct
from typing import BinaryIO, Dict, Iterator, List, NamedTuple, Optional, Tuple, Union

import numpy as np
from mmengine.logging import print_log

from facerec.registry import DATASETS

from .annotation_io import AnnotationError, iter_lines, parse_int
from .base_identity_dataset import BaseIdentityDataset

__all__ = [
    'RECORDIO_MAGIC',
    'IR_HEADER',
    'IRHeader',
    'RecordIOError',
    'RecordIOReader',
    'InsightFaceRecordIO',
    'read_idx_file',
    'unpack_payload',
]

#: The number every record (and every part of a split record) starts with.
RECORDIO_MAGIC = 0xCED7230A
MAGIC_BYTES = struct.pack('<I', RECORDIO_MAGIC)
#: The two words a record (part) starts with: the magic and ``lrecord``.
RECORD_WORD = struct.Struct('<II')
#: ``lrecord`` holds the byte length in its lower 29 bits and the part flag above them.
LENGTH_BITS = 29
_LENGTH_MASK = (1 << LENGTH_BITS) - 1
#: Part flags: a whole record, or the first, a middle or the last part of a split one.
PART_WHOLE, PART_FIRST, PART_MIDDLE, PART_LAST = 0, 1, 2, 3
#: The image-record header ``(flag, label, id, id2)`` at the start of a payload.
IR_HEADER = struct.Struct('<IfQQ')


class RecordIOError(ValueError):
    """A malformed ``.rec`` file; the message names the file and the record."""


class IRHeader(NamedTuple):
    """The header of an image record.

    Attributes:
        flag: The number of float32 labels after the header (0: one label in ``label``).
        label: The label: a float when ``flag == 0``, else a float32 array of ``flag`` values.
        id: A record id (insightface writes the key).
        id2: A second id (unused by insightface).
    """

    flag: int
    label: Union[float, np.ndarray]
    id: int
    id2: int


def unpack_payload(payload: bytes, where: str = 'record') -> Tuple[IRHeader, bytes]:
    """Split a record payload into its header and the image bytes.

    Args:
        payload: The payload of one record.
        where: Names the record in error messages.

    Raises:
        RecordIOError: The payload is shorter than its header says.
    """
    if len(payload) < IR_HEADER.size:
        raise RecordIOError(
            f'{where}: {len(payload)} bytes, shorter than the {IR_HEADER.size}-byte header'
        )
    flag, label, id_, id2 = IR_HEADER.unpack_from(payload)
    body = payload[IR_HEADER.size :]
    if flag > 0:
        if len(body) < 4 * flag:
            raise RecordIOError(f'{where}: header announces {flag} labels, the record is too short')
        label = np.frombuffer(body[: 4 * flag], dtype='<f4').astype(np.float32)
        body = body[4 * flag :]
    return IRHeader(flag, label, id_, id2), bytes(body)


def read_idx_file(path: str) -> Dict[int, int]:
    """Read a ``.idx`` file: lines ``key<TAB>offset``.

    Returns:
        Mapping from record key to byte offset, in file order.

    Raises:
        AnnotationError: A malformed line or a repeated key (naming file and line).
    """
    index: Dict[int, int] = {}
    lines: Dict[int, int] = {}
    for lineno, line in iter_lines(path):
        fields = line.split()
        if len(fields) != 2:
            raise AnnotationError(path, lineno, f'expected "key<TAB>offset", got {line!r}')
        key = parse_int(path, lineno, fields[0], 'the record key')
        offset = parse_int(path, lineno, fields[1], 'the record offset')
        if offset < 0:
            raise AnnotationError(path, lineno, f'negative offset {offset}')
        if key in index:
            raise AnnotationError(path, lineno, f'key {key} repeats line {lines[key]}')
        index[key], lines[key] = offset, lineno
    return index


class RecordIOReader:
    """Random access to the records of a ``.rec`` file.

    The file is opened lazily and once per process, so a reader (and a dataset
    holding one) can be used by forked dataloader workers and pickled.

    Args:
        rec_path: The ``.rec`` file.
        idx_path: Its ``.idx`` file; None builds the index by scanning the
            ``.rec`` file (keys are then the record positions ``0, 1, ...``).
    """

    def __init__(self, rec_path: str, idx_path: Optional[str] = None):
        if not osp.isfile(rec_path):
            raise FileNotFoundError(f'RecordIO file not found: {rec_path}')
        self.rec_path = rec_path
        self.idx_path = idx_path
        self._file: Optional[BinaryIO] = None
        self._pid: Optional[int] = None
        if idx_path is None:
            self.index = {i: offset for i, (offset, _) in enumerate(self.scan())}
        else:
            self.index = read_idx_file(idx_path)

    @property
    def keys(self) -> List[int]:
        """The record keys, in index order."""
        return list(self.index)

    def __len__(self) -> int:
        return len(self.index)

    def __contains__(self, key: int) -> bool:
        return key in self.index

    def _handle(self) -> BinaryIO:
        if self._file is None or self._pid != os.getpid():
            self._file = open(self.rec_path, 'rb')
            self._pid = os.getpid()
        return self._file

    def close(self) -> None:
        """Close the file (it reopens on the next read)."""
        if self._file is not None and self._pid == os.getpid():
            self._file.close()
        self._file = None

    def __enter__(self) -> 'RecordIOReader':
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state['_file'], state['_pid'] = None, None
        return state

    def _where(self, key: Optional[int], offset: int) -> str:
        record = f'record {key} ' if key is not None else 'record '
        return f'{self.rec_path}: {record}at byte {offset}'

    def _read_from(self, f: BinaryIO, offset: int, key: Optional[int]) -> Optional[bytes]:
        """Read the record starting at ``offset``; None at the end of the file."""
        f.seek(offset)
        parts: List[bytes] = []
        pos = offset
        while True:
            word = f.read(RECORD_WORD.size)
            if not word and not parts:
                return None
            where = self._where(key, offset)
            if len(word) != RECORD_WORD.size:
                raise RecordIOError(f'{where}: file ends inside a record header (byte {pos})')
            magic, lrecord = RECORD_WORD.unpack(word)
            if magic != RECORDIO_MAGIC:
                raise RecordIOError(
                    f'{where}: bad magic 0x{magic:08x} at byte {pos} '
                    f'(expected 0x{RECORDIO_MAGIC:08x}; wrong offset or not a RecordIO file)'
                )
            cflag, length = lrecord >> LENGTH_BITS, lrecord & _LENGTH_MASK
            expected = (PART_WHOLE, PART_FIRST) if not parts else (PART_MIDDLE, PART_LAST)
            if cflag not in expected:
                raise RecordIOError(
                    f'{where}: part flag {cflag} at byte {pos} where {expected} was expected'
                )
            padded = length + (-length % 4)
            data = f.read(padded)
            if len(data) != padded:
                raise RecordIOError(
                    f'{where}: file ends inside a record ({padded} bytes announced at byte {pos})'
                )
            parts.append(data[:length])
            pos += RECORD_WORD.size + padded
            if cflag in (PART_WHOLE, PART_LAST):
                return MAGIC_BYTES.join(parts)

    def read_at(self, offset: int, key: Optional[int] = None) -> bytes:
        """The payload of the record that starts at byte ``offset``."""
        payload = self._read_from(self._handle(), offset, key)
        if payload is None:
            raise RecordIOError(f'{self._where(key, offset)}: past the end of the file')
        return payload

    def read(self, key: int) -> bytes:
        """The payload of the record with this key."""
        if key not in self.index:
            raise KeyError(f'{self.idx_path or self.rec_path} has no record with key {key}')
        return self.read_at(self.index[key], key)

    def read_record(self, key: int) -> Tuple[IRHeader, bytes]:
        """The header and image bytes of the record with this key."""
        return unpack_payload(self.read(key), self._where(key, self.index.get(key, -1)))

    def scan(self) -> Iterator[Tuple[int, bytes]]:
        """Read the file from the start: ``(offset, payload)`` of every record."""
        with open(self.rec_path, 'rb') as f:
            offset = 0
            while True:
                payload = self._read_from(f, offset, None)
                if payload is None:
                    return
                yield offset, payload
                offset = f.tell()


@DATASETS.register_module()
class InsightFaceRecordIO(BaseIdentityDataset):
    """An insightface training set packed as RecordIO: ``train.rec`` + ``train.idx``.

    Reads MS1M-ArcFace (``faces_emore``), Glint360K, ``faces_webface_112x112``
    and other sets of that layout (see the module docstring) without mxnet. The
    images are already aligned (112x112), so there are no landmarks.

    ``get_data_info(i)`` gives ``rec_key`` (the record key), ``identity`` (the
    integer label of the file), ``gt_label``, and ``img_source`` (``'<file>,
    record <key>'``, for error messages); the encoded image is read from the
    ``.rec`` file only when the item is loaded (``dataset[i]``), as
    ``img_bytes``: start the pipeline with ``LoadImageFromBytes``.

    Args:
        data_root: Folder of the files.
        rec_file: The ``.rec`` file, relative to ``data_root``.
        idx_file: The ``.idx`` file; None indexes the ``.rec`` file by scanning
            it, keying each record by its position (insightface writes its
            records in key order, so the keys are the same).
        label_source: Where the labels come from: ``'identity_records'`` (the
            identity records announced by the header record; fast, reads one
            record per identity), ``'image_headers'`` (the header of every image
            record), or ``'auto'`` (identity records when the file has them).
        **kwargs: See :class:`BaseIdentityDataset` (not ``landmark_file``).
    """

    def __init__(
        self,
        data_root: str = '',
        rec_file: str = 'train.rec',
        idx_file: Optional[str] = 'train.idx',
        label_source: str = 'auto',
        **kwargs,
    ):
        if label_source not in ('auto', 'identity_records', 'image_headers'):
            raise ValueError(
                "label_source must be 'auto', 'identity_records' or 'image_headers', "
                f'got {label_source!r}'
            )
        if kwargs.get('landmark_file'):
            raise ValueError('InsightFaceRecordIO images are aligned already: no landmark_file')
        if data_root and not osp.isabs(rec_file):
            rec_file = osp.join(data_root, rec_file)
        if idx_file and data_root and not osp.isabs(idx_file):
            idx_file = osp.join(data_root, idx_file)
        self.rec_file, self.idx_file = rec_file, idx_file
        self.label_source = label_source
        self.reader: Optional[RecordIOReader] = None
        super().__init__(data_root=data_root, **kwargs)

    def _get_reader(self) -> RecordIOReader:
        if self.reader is None:
            self.reader = RecordIOReader(self.rec_file, self.idx_file)
        return self.reader

    def _header_record(self, reader: RecordIOReader) -> Optional[Tuple[int, int]]:
        """``(first identity key, end of identity keys)`` from record 0, if it is a header."""
        if 0 not in reader:
            return None
        header, _ = reader.read_record(0)
        if header.flag <= 0:
            return None
        if header.flag < 2:
            raise RecordIOError(
                f'{self.rec_file}: header record 0 has {header.flag} label(s), expected 2'
            )
        return int(header.label[0]), int(header.label[1])

    def _identity_labels(self, reader: RecordIOReader, first: int, end: int) -> Dict[int, int]:
        """Image key -> identity from the identity records ``first .. end-1``."""
        labels: Dict[int, int] = {}
        for key in range(first, end):
            header, _ = reader.read_record(key)
            where = f'{self.rec_file}: identity record {key}'
            if header.flag < 2:
                raise RecordIOError(f'{where} has no (start, end) labels')
            start, stop = int(header.label[0]), int(header.label[1])
            if not 1 <= start <= stop <= first:
                raise RecordIOError(
                    f'{where}: image range {start}..{stop - 1} is outside the images 1..{first - 1}'
                )
            for img_key in range(start, stop):
                if img_key in labels:
                    raise RecordIOError(
                        f'{where}: image {img_key} already belongs to identity {labels[img_key]}'
                    )
                labels[img_key] = key - first
        return labels

    def _image_header_labels(self, reader: RecordIOReader, keys: List[int]) -> Dict[int, int]:
        labels = {}
        for key in keys:
            header, _ = reader.read_record(key)
            label = header.label if header.flag == 0 else header.label[0]
            if not float(label).is_integer():
                raise RecordIOError(
                    f'{self.rec_file}: record {key} has a non-integer label {label}'
                )
            labels[key] = int(label)
        return labels

    def load_samples(self) -> List[dict]:
        reader = self._get_reader()
        header = self._header_record(reader)
        if header is None:
            if self.label_source == 'identity_records':
                raise RecordIOError(
                    f'{self.rec_file} has no header record 0, so no identity records; '
                    "use label_source='image_headers'"
                )
            img_keys = reader.keys
            labels = self._image_header_labels(reader, img_keys)
        else:
            first, end = header
            img_keys = [k for k in range(1, first)]
            missing = [k for k in img_keys if k not in reader]
            if missing:
                raise RecordIOError(
                    f'{self.rec_file}: header record 0 announces images 1..{first - 1}, '
                    f'the index has no key {missing[0]} ({len(missing)} missing)'
                )
            if self.label_source == 'image_headers':
                labels = self._image_header_labels(reader, img_keys)
            else:
                labels = self._identity_labels(reader, first, end)
                uncovered = [k for k in img_keys if k not in labels]
                if uncovered:
                    raise RecordIOError(
                        f'{self.rec_file}: image {uncovered[0]} belongs to no identity record '
                        f'({len(uncovered)} such images)'
                    )
        print_log(
            f'{self.__class__.__name__}: {len(img_keys)} image records in {self.rec_file}',
            logger='current',
        )
        return [
            dict(rec_key=k, identity=labels[k], img_source=f'{self.rec_file}, record {k}')
            for k in img_keys
        ]

    def read_image_bytes(self, rec_key: int) -> bytes:
        """The encoded image of the record with this key."""
        _, img = self._get_reader().read_record(rec_key)
        return img

    def prepare_data(self, idx: int):
        data_info = self.get_data_info(idx)
        data_info['img_bytes'] = self.read_image_bytes(data_info['rec_key'])
        return self.pipeline(data_info)
