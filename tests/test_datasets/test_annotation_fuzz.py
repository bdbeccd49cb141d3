"""Fuzzing the annotation parsers: any file gives well-formed records or an AnnotationError.

The files are mostly well formed, with random damage: fields replaced, added or dropped,
random lines, mixed line ends, bytes that are not UTF-8, broken JSON.
"""

import json
from pathlib import Path
from typing import List
from unittest import mock

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facerec.datasets import AnnotationError, CelebAIdentities, FaceListIdentities, VGGFace2
from facerec.datasets.annotation_io import (
    FileIndex,
    load_landmark_rows,
    load_pairs_file,
    read_count_table,
    read_csv_table,
)
from facerec.datasets.celeba_annotations import CELEBA_LANDMARK_COLUMNS, read_partition_file
from facerec.datasets.landmark_datasets import VGGFACE2_LANDMARK_HEADER, read_ndg_entries

FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

#: Fields that break the parsers' expectations.
ODD_FIELDS = [
    '-1', '-0', '0', '2.5', '1e999', '3.5e38', '1e-9', 'nan', 'inf', '-inf', '0x10', '1_0',
    '\uff11', 'x', '"n0/1"', '""', '"', '|', '||', ',', ';', 'image_id', 'NAME_ID', '\ufeff',
    '\x00', '\x0c', '\x1c', '\u2028', '\u00e9', '\\', '[', '{', '\t',
]  # fmt: skip
ODD = st.one_of(st.sampled_from(ODD_FIELDS), st.text(max_size=6))
NUMBER = st.one_of(
    st.integers(-50, 300).map(str),
    st.floats(-1e4, 1e4).map(lambda v: f'{v:.6g}'),
    st.floats().map(repr),
)
NEWLINE = st.sampled_from(['\n', '\r\n', '\r'])
#: Bytes that are not UTF-8, spliced into some files.
NOT_UTF8 = [b'\xff', b'\xc3', b'\xed\xa0\x80', b'\x80abc']


@st.composite
def damaged(draw, fields: List[str]) -> List[str]:
    """``fields``, one in three times with a field replaced, added or dropped."""
    fields = list(fields)
    if draw(st.integers(0, 2)) == 0:
        at = draw(st.integers(0, len(fields)))
        how = draw(st.sampled_from(['replace', 'insert', 'drop']))
        if how == 'insert' or at == len(fields):
            fields.insert(at, draw(ODD))
        elif how == 'replace':
            fields[at] = draw(ODD)
        else:
            del fields[at]
    return fields


@st.composite
def line(draw, *parts: st.SearchStrategy, sep: str = ' ') -> str:
    """A line of the fields drawn from ``parts``, possibly damaged; sometimes random text."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.lists(ODD, max_size=12).map(' '.join))
    fields = draw(damaged([draw(p) for p in parts]))
    return sep.join(fields)


def numbers(count: int) -> st.SearchStrategy:
    return st.lists(NUMBER, min_size=count, max_size=count).map(' '.join)


@st.composite
def text_file(draw, lines: List[str]) -> bytes:
    """``lines`` joined by random line ends, some blank lines, sometimes a non-UTF-8 byte."""
    if draw(st.booleans()):
        lines = [*lines[:1], '', *lines[1:]]
    data = draw(NEWLINE).join(lines).encode('utf-8', 'surrogatepass')
    if draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from(NOT_UTF8)) + data[at:]
    return data


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def check_error(error: AnnotationError, path: str) -> None:
    assert error.path == path and error.lineno >= 1
    assert str(error).startswith(f'{path}, line {error.lineno}: ')


def check_points(points: np.ndarray, shape: tuple) -> None:
    assert isinstance(points, np.ndarray) and points.dtype == np.float32
    assert points.shape == shape and np.isfinite(points).all()


NAME = st.sampled_from(['Aaron', 'Zoe_Ball', 'B'])
IMAGE_NO = st.integers(0, 12).map(str)


@st.composite
def pairs_file(draw) -> bytes:
    folds, per_fold = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    header = f'{folds} {per_fold}' if folds > 1 or draw(st.booleans()) else str(per_fold)
    body = []
    for _ in range(folds):
        body += [draw(line(NAME, IMAGE_NO, IMAGE_NO)) for _ in range(per_fold)]
        body += [draw(line(NAME, IMAGE_NO, NAME, IMAGE_NO)) for _ in range(per_fold)]
    lines = [draw(line(st.just(header))), *draw(damaged(body))]
    return draw(text_file(lines))


@FUZZ
@given(data=pairs_file())
def test_pairs_file(tmp_path, data):
    path = write(tmp_path, 'pairs.txt', data)
    try:
        pairs, num_folds = load_pairs_file(path)
    except AnnotationError as e:
        return check_error(e, path)
    assert isinstance(num_folds, int) and num_folds >= 1
    for pair in pairs:
        assert set(pair) == {'fold', 'name1', 'idx1', 'name2', 'idx2', 'is_same', 'lineno'}
        assert isinstance(pair['name1'], str) and isinstance(pair['name2'], str)
        assert all(isinstance(pair[k], int) for k in ('fold', 'idx1', 'idx2', 'lineno'))
        assert isinstance(pair['is_same'], bool) and 0 <= pair['fold'] < num_folds


def rows(row: st.SearchStrategy, max_size: int = 6) -> st.SearchStrategy:
    return st.lists(row, max_size=max_size)


IMAGE = st.integers(1, 9).map(lambda i: f'{i:06d}.jpg')
REL_IMAGE = st.sampled_from(['Aaron/Aaron_0001.jpg', 'B/B_0002.jpg', 'a/b/c.jpg'])


@FUZZ
@given(data=rows(line(REL_IMAGE, numbers(10), sep='\t')).flatmap(text_file))
def test_landmark_file(tmp_path, data):
    path = write(tmp_path, 'landmarks.txt', data)
    try:
        landmarks = load_landmark_rows(path)
    except AnnotationError as e:
        return check_error(e, path)
    for key, (points, lineno) in landmarks.items():
        assert isinstance(key, str) and key and isinstance(lineno, int)
        check_points(points, (5, 2))


@FUZZ
@given(data=rows(line(IMAGE, st.integers(0, 3000).map(str))).flatmap(text_file))
def test_identity_file(tmp_path, data):
    path = write(tmp_path, 'identity.txt', data)
    dataset = CelebAIdentities(
        ann_file=path, partition_file=None, split='all', data_prefix=str(tmp_path), lazy_init=True
    )
    with mock.patch.object(FileIndex, 'exists', return_value=True):  # every image is present
        try:
            samples = dataset.load_samples()
        except AnnotationError as e:
            return check_error(e, path)
    for sample in samples:
        assert isinstance(sample['img_path'], str) and isinstance(sample['identity'], str)
        check_points(sample['landmarks'], (5, 2))


@FUZZ
@given(data=rows(line(IMAGE, st.sampled_from('0123'))).flatmap(text_file))
def test_partition_file(tmp_path, data):
    path = write(tmp_path, 'list_eval_partition.txt', data)
    try:
        partition = read_partition_file(path)
    except AnnotationError as e:
        return check_error(e, path)
    assert all(isinstance(k, str) and v in (0, 1, 2) for k, v in partition.items())


LABEL = st.integers(-1, 20).map(str)
BOX = st.tuples(NUMBER, NUMBER, st.integers(-1, 90), st.integers(-1, 90)).map(
    lambda b: ' '.join(map(str, b))
)
LABEL_LIST = rows(
    st.one_of(line(REL_IMAGE, LABEL), line(REL_IMAGE, LABEL, numbers(10))), max_size=5
)
PIPE_LIST = rows(
    st.one_of(
        line(REL_IMAGE, numbers(10), BOX, sep='|'),
        line(REL_IMAGE, numbers(10), st.just(''), sep='|'),
        REL_IMAGE,
    ),
    max_size=5,
)


@FUZZ
@given(
    data=st.one_of(LABEL_LIST, PIPE_LIST).flatmap(text_file),
    units=st.sampled_from(['pixels', 'box']),
)
def test_list_file(tmp_path, data, units):
    path = write(tmp_path, 'list.txt', data)
    dataset = FaceListIdentities(
        ann_file=path, landmark_units=units, check_images=False, lazy_init=True
    )
    try:
        samples = dataset.load_samples()
    except AnnotationError as e:
        return check_error(e, path)
    for sample in samples:
        assert isinstance(sample['img_path'], str)
        assert isinstance(sample['identity'], str) or sample['identity'] >= 0
        if 'landmarks' in sample:
            check_points(sample['landmarks'], (5, 2))
            assert isinstance(sample['landmarks_line'], int)
        if 'bbox' in sample:
            check_points(sample['bbox'], (4,))


@FUZZ
@given(data=rows(line(REL_IMAGE)).flatmap(text_file))
def test_vggface2_list_file(tmp_path, data):
    path = write(tmp_path, 'train_list.txt', data)
    dataset = VGGFace2(ann_file=path, landmark_file=None, check_images=False, lazy_init=True)
    try:
        entries = dataset._read_list()
    except AnnotationError as e:
        return check_error(e, path)
    for entry, lineno in entries.items():
        assert '/' in entry and isinstance(lineno, int)


VGG_NAME = st.sampled_from(['"n000002/0001_01"', 'n000002/0002_01', '"n3/1"'])


@FUZZ
@given(
    header=line(*map(st.just, VGGFACE2_LANDMARK_HEADER), sep=','),
    body=rows(line(VGG_NAME, *[NUMBER] * 10, sep=',')),
    data=st.data(),
)
def test_csv_landmarks(tmp_path, header, body, data):
    path = write(tmp_path, 'loose_landmark_train.csv', data.draw(text_file([header, *body])))
    try:
        table = read_csv_table(path, VGGFACE2_LANDMARK_HEADER)
    except AnnotationError as e:
        return check_error(e, path)
    for name, (values, lineno) in table.items():
        assert isinstance(name, str) and name and isinstance(lineno, int)
        check_points(values, (10,))


@FUZZ
@given(body=rows(line(IMAGE, numbers(10), sep='  ')), data=st.data())
def test_celeba_landmark_table(tmp_path, body, data):
    count = data.draw(line(st.just(str(len(body)))))
    header = data.draw(line(st.just(' '.join(CELEBA_LANDMARK_COLUMNS))))
    path = write(tmp_path, 'landmarks.txt', data.draw(text_file([count, header, *body])))
    try:
        table = read_count_table(path, CELEBA_LANDMARK_COLUMNS)
    except AnnotationError as e:
        return check_error(e, path)
    for name, (values, lineno) in table.items():
        assert isinstance(name, str) and name and isinstance(lineno, int)
        check_points(values, (10,))


JSON_VALUE = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.floats(),
        st.integers(),
        st.integers(min_value=10**300, max_value=10**400),
        st.text(max_size=5),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=6), st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=12,
)
COORD = st.one_of(st.floats(-1e4, 1e4), st.integers(-50, 300))
POINTS = st.lists(st.lists(COORD, min_size=2, max_size=2), min_size=5, max_size=5)


@st.composite
def ndg_entry(draw) -> object:
    entry = {'path': draw(REL_IMAGE), 'lm': draw(POINTS)}
    damage = draw(st.integers(0, 5))
    if damage == 0:
        return draw(JSON_VALUE)
    if damage == 1:
        entry[draw(st.sampled_from(['path', 'lm']))] = draw(JSON_VALUE)
    elif damage == 2:
        entry['lm'][draw(st.integers(0, 4))] = draw(JSON_VALUE)
    elif damage == 3:
        del entry[draw(st.sampled_from(['path', 'lm']))]
    return entry


@st.composite
def ndg_file(draw) -> bytes:
    value = draw(st.one_of(st.lists(ndg_entry(), max_size=4), JSON_VALUE))
    text = json.dumps(value, indent=draw(st.sampled_from([None, 1, 2])))
    if draw(st.integers(0, 4)) == 0:  # damage the JSON text
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(['', ',', ']', '{', '"', '\n'])) + text[at + 1 :]
    data = text.encode('utf-8', 'surrogatepass')
    if draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from(NOT_UTF8)) + data[at:]
    return data


@FUZZ
@given(data=ndg_file())
def test_ndg_json(tmp_path, data):
    path = write(tmp_path, 'ann.json', data)
    try:
        entries = read_ndg_entries(path)
    except AnnotationError as e:
        return check_error(e, path)
    for rel, points, lineno in entries:
        assert isinstance(rel, str) and rel and isinstance(lineno, int) and lineno >= 1
        check_points(points, (5, 2))
