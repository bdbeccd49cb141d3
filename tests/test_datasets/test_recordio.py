"""The pure-python MXNet RecordIO reader, on files in insightface's layout."""

import pickle
import struct

import cv2
import numpy as np
import pytest
from recordio_writer import RecordIOWriter, encode_record, pack_payload

from facerec.datasets import (
    AnnotationError,
    InsightFaceRecordIO,
    RecordIOError,
    RecordIOReader,
)
from facerec.datasets.recordio import read_idx_file, unpack_payload
from facerec.datasets.transforms.loading import LoadImageFromBytes
from facerec.registry import DATASETS

MAGIC = 0xCED7230A
MAGIC_BYTES = struct.pack('<I', MAGIC)


def lrecord(cflag: int, length: int) -> bytes:
    return struct.pack('<II', MAGIC, (cflag << 29) | length)


def jpeg(value: int, size: int = 12) -> bytes:
    img = np.full((size, size, 3), value, np.uint8)
    img[: size // 2, :, 0] = 255 - value
    ok, buf = cv2.imencode('.jpg', img)
    assert ok
    return buf.tobytes()


def with_magic_inside(data: bytes) -> bytes:
    """Image bytes followed (after the JPEG end marker) by the magic at a 4-byte aligned
    position of the record payload, which starts 24 header bytes before the image."""
    pad = bytes(-(24 + len(data)) % 4)
    return data + pad + MAGIC_BYTES + b'tail'


def test_single_record_layout_is_the_documented_one(tmp_path):
    with RecordIOWriter(str(tmp_path / 'one.rec'), str(tmp_path / 'one.idx')) as writer:
        writer.write(7, b'abcdef')
    assert (tmp_path / 'one.rec').read_bytes() == lrecord(0, 6) + b'abcdef' + b'\x00\x00'
    assert (tmp_path / 'one.idx').read_text() == '7\t0\n'
    reader = RecordIOReader(str(tmp_path / 'one.rec'), str(tmp_path / 'one.idx'))
    assert reader.keys == [7] and reader.read(7) == b'abcdef'


def test_multi_part_layout_is_the_documented_one(tmp_path):
    payload = b'ABCD' + MAGIC_BYTES + b'EFGHIJKL' + MAGIC_BYTES + b'xy'
    expected = (
        lrecord(1, 4) + b'ABCD' + lrecord(2, 8) + b'EFGHIJKL' + lrecord(3, 2) + b'xy' + b'\x00\x00'
    )
    assert encode_record(payload) == expected
    # The magic at an unaligned position is data, and a leading magic gives an empty first part.
    assert encode_record(b'ab' + MAGIC_BYTES) == lrecord(0, 6) + b'ab' + MAGIC_BYTES + b'\x00\x00'
    assert encode_record(MAGIC_BYTES + b'z') == lrecord(1, 0) + lrecord(3, 1) + b'z\x00\x00\x00'
    # A hand-built file (a whole record, then the split one) reads back through its index.
    rec = tmp_path / 'hand.rec'
    first = lrecord(0, 3) + b'abc\x00'
    rec.write_bytes(first + expected)
    (tmp_path / 'hand.idx').write_text(f'0\t0\n1\t{len(first)}\n')
    reader = RecordIOReader(str(rec), str(tmp_path / 'hand.idx'))
    assert reader.read(0) == b'abc' and reader.read(1) == payload
    assert [p for _, p in reader.scan()] == [b'abc', payload]
    assert RecordIOReader(str(rec)).index == {0: 0, 1: len(first)}


def test_payload_header_layout():
    assert pack_payload(3, b'img', id=5) == struct.pack('<IfQQ', 0, 3.0, 5, 0) + b'img'
    packed = pack_payload([5, 9], b'')
    assert packed == struct.pack('<IfQQ', 2, 0.0, 0, 0) + struct.pack('<2f', 5, 9)
    header, img = unpack_payload(packed + b'jpg')
    assert header.flag == 2 and img == b'jpg'
    np.testing.assert_array_equal(header.label, [5, 9])
    header, img = unpack_payload(pack_payload(4, b'x'))
    assert header.flag == 0 and header.label == 4.0 and img == b'x'
    with pytest.raises(RecordIOError, match='shorter'):
        unpack_payload(b'\x00' * 10)


@pytest.fixture
def insightface_rec(tmp_path, write_recordio):
    """An insightface-style set: 3 identities, 7 images, one of them a multi-part record."""
    labels = [2, 0, 1, 0, 2, 1, 0]
    images = [jpeg(30 * i) for i in range(len(labels))]
    images[3] = with_magic_inside(images[3])
    write_recordio(str(tmp_path / 'train'), zip(labels, images))
    return tmp_path, labels, images


def test_write_recordio_insightface_layout(insightface_rec):
    root, labels, images = insightface_rec
    reader = RecordIOReader(str(root / 'train.rec'), str(root / 'train.idx'))
    assert reader.keys == list(range(11))  # header, 7 images, 3 identity records
    header, _ = reader.read_record(0)
    np.testing.assert_array_equal(header.label, [8, 11])
    ranges = [tuple(reader.read_record(k)[0].label) for k in (8, 9, 10)]
    assert ranges == [(1, 4), (4, 6), (6, 8)]  # images grouped by label, stable order
    # The image with the magic inside is stored as a multi-part record.
    raw = (root / 'train.rec').read_bytes()
    offsets = read_idx_file(str(root / 'train.idx'))
    key = 2  # images[3] is the second image of label 0
    assert struct.unpack_from('<I', raw, offsets[key] + 4)[0] >> 29 == 1
    assert reader.read_record(key)[1] == images[3]
    assert reader.read_record(key - 1)[1] == images[1]


def test_insightface_recordio_dataset(insightface_rec):
    root, labels, images = insightface_rec
    ds = DATASETS.build(
        dict(
            type='InsightFaceRecordIO',
            data_root=str(root),
            pipeline=[dict(type='LoadImageFromBytes')],
        )
    )
    order = sorted(range(len(labels)), key=lambda i: labels[i])
    assert len(ds) == 7 and ds.metainfo['num_classes'] == 3
    np.testing.assert_array_equal(ds.get_gt_labels(), sorted(labels))
    info = ds.get_data_info(1)
    assert info['rec_key'] == 2 and 'img_bytes' not in info
    assert info['img_source'].endswith('train.rec, record 2')
    for i, src in enumerate(order):
        expected = cv2.imdecode(np.frombuffer(images[src], np.uint8), cv2.IMREAD_COLOR)
        np.testing.assert_array_equal(ds[i]['img'], expected)
    raw = InsightFaceRecordIO(data_root=str(root), pipeline=[])
    assert order[1] == 3 and raw[1]['img_bytes'] == images[3]  # the multi-part record
    by_headers = InsightFaceRecordIO(data_root=str(root), label_source='image_headers')
    np.testing.assert_array_equal(by_headers.get_gt_labels(), ds.get_gt_labels())
    scanned = InsightFaceRecordIO(data_root=str(root), idx_file=None)
    np.testing.assert_array_equal(scanned.get_gt_labels(), ds.get_gt_labels())
    clone = pickle.loads(pickle.dumps(ds))
    np.testing.assert_array_equal(clone[4]['img'], ds[4]['img'])


def test_plain_recordio_without_header(tmp_path, write_recordio):
    images = [jpeg(10), jpeg(90), jpeg(200)]
    write_recordio(str(tmp_path / 'plain'), zip([7, 3, 7], images), insightface_header=False)
    ds = InsightFaceRecordIO(
        data_root=str(tmp_path), rec_file='plain.rec', idx_file='plain.idx', pipeline=[]
    )
    assert [ds.get_data_info(i)['rec_key'] for i in range(3)] == [0, 1, 2]
    np.testing.assert_array_equal(ds.get_gt_labels(), [1, 0, 1])
    assert ds.metainfo['classes'] == ('3', '7') and ds[1]['img_bytes'] == images[1]
    with pytest.raises(RecordIOError, match='no header record'):
        InsightFaceRecordIO(
            data_root=str(tmp_path),
            rec_file='plain.rec',
            idx_file='plain.idx',
            label_source='identity_records',
        )


def test_malformed_files_name_file_and_place(insightface_rec):
    root, _, _ = insightface_rec
    idx = root / 'train.idx'
    lines = idx.read_text().splitlines()
    idx.write_text('\n'.join(lines[:2] + ['2 x'] + lines[3:]) + '\n')
    with pytest.raises(AnnotationError, match=r'train\.idx, line 3: the record offset'):
        InsightFaceRecordIO(data_root=str(root))
    idx.write_text('\n'.join(lines[:2] + ['2\t4'] + lines[3:]) + '\n')
    with pytest.raises(RecordIOError, match=r'train\.rec: record 2 at byte 4: bad magic'):
        InsightFaceRecordIO(data_root=str(root), label_source='image_headers')
    idx.write_text('\n'.join(lines) + '\n')
    raw = (root / 'train.rec').read_bytes()
    (root / 'train.rec').write_bytes(raw[:-6])
    with pytest.raises(RecordIOError, match='file ends inside a record'):
        InsightFaceRecordIO(data_root=str(root))


def test_undecodable_image_names_the_record(tmp_path, write_recordio):
    write_recordio(str(tmp_path / 'train'), [(0, jpeg(50)), (0, b'not an image')])
    ds = InsightFaceRecordIO(data_root=str(tmp_path), pipeline=[LoadImageFromBytes()])
    assert ds[0]['img'].shape == (12, 12, 3)
    with pytest.raises(OSError, match=r'train\.rec, record 2'):
        ds[1]


def test_writer_checks_labels(tmp_path, write_recordio):
    with pytest.raises(ValueError, match='0..C-1'):
        write_recordio(str(tmp_path / 'bad'), [(0, b'a'), (2, b'b')])
    with pytest.raises(ValueError, match='landmark_file'):
        InsightFaceRecordIO(data_root=str(tmp_path), landmark_file='lm.txt')
