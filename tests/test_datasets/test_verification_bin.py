"""insightface verification .bin files: safe loading, pairs and folds, and LFWMetric parity."""

import os
import pickle

import cv2
import numpy as np
import pytest
from sklearn.model_selection import KFold

from facerec.datasets import LFWPairs, UnsafePickleError, VerificationBin, load_verification_bin
from facerec.datasets.transforms import LoadImageFromFile
from facerec.datasets.transforms.loading import LoadImageFromBytes
from facerec.datasets.verification_bin import contiguous_folds
from facerec.evaluation.metrics import LFWMetric
from facerec.registry import DATASETS

CALLS = []


def record_call(*args):
    """Would run if an unpickler resolved it; the tests check that it never does."""
    CALLS.append(args)
    return args


class Exploit:
    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def png(value: int) -> bytes:
    img = np.full((6, 5, 3), value, np.uint8)
    img[0, 0] = (1, 2, 3)
    return cv2.imencode('.png', img)[1].tobytes()


def write_bin(path, bins, issame, protocol=pickle.DEFAULT_PROTOCOL):
    with open(path, 'wb') as f:
        pickle.dump((bins, issame), f, protocol=protocol)
    return str(path)


def test_tiny_bin(tmp_path):
    images = [png(v) for v in (10, 20, 30, 40, 50, 60)]
    path = write_bin(tmp_path / 'agedb_30.bin', images, [True, False, True])
    ds = DATASETS.build(
        dict(
            type='VerificationBin',
            data_root=str(tmp_path),
            ann_file='agedb_30.bin',
            num_folds=2,
            pipeline=[dict(type='LoadImageFromBytes')],
        )
    )
    assert len(ds) == 6 and ds.metainfo['num_folds'] == 2
    assert ds.metainfo['pairs'][1] == dict(
        fold=0,
        name1='agedb_30',
        idx1=2,
        name2='agedb_30',
        idx2=3,
        is_same=False,
        sample_idx1=2,
        sample_idx2=3,
    )
    assert [p['fold'] for p in ds.metainfo['pairs']] == [0, 0, 1]
    assert ds[4]['img'].shape == (6, 5, 3) and ds[4]['img'][1, 1, 0] == 50
    assert ds.get_data_info(4)['img_source'] == f'{path}, image 4'
    # The numpy-array form of the real files, and a protocol-2 pickle (bytes via _codecs).
    arrays = [np.frombuffer(b, np.uint8).reshape(-1, 1) for b in images]
    for bins, protocol in ((arrays, 4), (images, 2), (arrays, 2), (images, 5)):
        write_bin(tmp_path / 'x.bin', bins, np.array([True, False, True]), protocol)
        loaded, flags = load_verification_bin(str(tmp_path / 'x.bin'))
        assert loaded == images and flags == [True, False, True]


def test_folds_match_insightface_kfold():
    for n, k in ((7, 3), (40, 10), (10, 10), (6000, 10)):
        expected = np.empty(n, int)
        for fold, (_, test) in enumerate(KFold(n_splits=k, shuffle=False).split(np.arange(n))):
            expected[test] = fold
        np.testing.assert_array_equal(contiguous_folds(n, k), expected)
    with pytest.raises(ValueError, match='num_folds'):
        contiguous_folds(3, 4)


def test_malicious_pickles_are_refused(tmp_path):
    for func, args, name in (
        (record_call, ('pwned',), 'record_call'),
        (eval, ('1 + 1',), 'builtins.eval'),
        (os.system, ('true',), 'system'),
        (getattr, ('abc', 'upper'), 'builtins.getattr'),
        (np.load, ('x.npy',), 'load'),
    ):
        path = tmp_path / 'evil.bin'
        with open(path, 'wb') as f:
            pickle.dump(([Exploit(func, args)], []), f)
        with pytest.raises(UnsafePickleError, match=rf'evil\.bin: refusing to unpickle .*{name}'):
            load_verification_bin(str(path))
        with pytest.raises(UnsafePickleError, match='evil.bin'):
            VerificationBin(ann_file=str(path))
    assert CALLS == []


def test_malformed_bins_name_the_file(tmp_path):
    path = tmp_path / 'bad.bin'
    for content, message in (
        ({'bins': []}, 'expected a pickled'),
        (([b'a', b'b', b'c'], [True]), '1 pairs need 2 images, the file has 3'),
        (([b'a', 3], [True]), 'image 1 must be encoded bytes'),
        (([b'a', b'b'], ['yes']), 'issame flag 0'),
        (([], []), 'no pairs'),
    ):
        path.write_bytes(pickle.dumps(content))
        with pytest.raises(ValueError, match=message) as info:
            load_verification_bin(str(path))
        assert 'bad.bin' in str(info.value)
    path.write_bytes(b'\x80\x04not a pickle')
    with pytest.raises(ValueError, match='bad.bin: not a readable pickle'):
        load_verification_bin(str(path))
    path.write_bytes(pickle.dumps(([png(1), png(2)], [True])))
    with pytest.raises(ValueError, match='num_folds'):
        VerificationBin(ann_file=str(path), num_folds=2)
    with pytest.raises(FileNotFoundError, match='missing.bin'):
        VerificationBin(ann_file=str(tmp_path / 'missing.bin'))


def mean_colour(img: np.ndarray) -> np.ndarray:
    """A fixed, deterministic 'embedding': the mean of each colour channel."""
    return img.reshape(-1, 3).mean(axis=0)


def one_pixel(img: np.ndarray) -> np.ndarray:
    """A noisier deterministic 'embedding': one pixel's colour, centred."""
    return img[48, 48].astype(np.float64) - 128.0


def lfw_metric_of(ds, embed=mean_colour) -> dict:
    metric = LFWMetric()
    metric.dataset_meta = ds.metainfo
    samples = [dict(sample_idx=i, pred_feature=embed(ds[i]['img'])) for i in range(len(ds))]
    metric.process(None, samples)
    return metric.compute_metrics(metric.results)


def test_same_pairs_give_the_same_lfw_metric(lfw_like, tmp_path):
    lfw = LFWPairs(data_root=str(lfw_like), pipeline=[LoadImageFromFile()])
    bins, issame = [], []
    for pair in lfw.metainfo['pairs']:
        for key in ('sample_idx1', 'sample_idx2'):
            with open(lfw.get_data_info(pair[key])['img_path'], 'rb') as f:
                bins.append(f.read())
        issame.append(pair['is_same'])
    path = write_bin(tmp_path / 'lfw.bin', bins, issame)
    vbin = VerificationBin(ann_file=path, num_folds=10, pipeline=[LoadImageFromBytes()])
    assert [p['fold'] for p in vbin.metainfo['pairs']] == [p['fold'] for p in lfw.metainfo['pairs']]
    expected = lfw_metric_of(lfw)
    assert expected['accuracy'] > 0.5
    assert lfw_metric_of(vbin) == expected
    noisy = lfw_metric_of(lfw, one_pixel)
    assert noisy['accuracy'] < 1.0  # per-fold thresholds that make mistakes agree too
    assert lfw_metric_of(vbin, one_pixel) == noisy


@pytest.mark.real_data
def test_real_insightface_bin(data_root):
    path = data_root / 'lfw' / 'small_lfw_insightface.bin'
    if not path.is_file():
        pytest.skip(f'{path} not found')
    ds = VerificationBin(
        data_root=str(data_root / 'lfw'),
        ann_file='small_lfw_insightface.bin',
        num_folds=2,
        pipeline=[LoadImageFromBytes()],
    )
    assert len(ds) == 20 and len(ds.metainfo['pairs']) == 10
    assert [p['fold'] for p in ds.metainfo['pairs']] == [0] * 5 + [1] * 5
    assert all(p['is_same'] for p in ds.metainfo['pairs'])
    images = [ds[i]['img'] for i in range(len(ds))]
    assert all(img.shape == (112, 112, 3) and img.dtype == np.uint8 for img in images)
    with open(path, 'rb') as f:  # the real file is trusted: compare with a plain unpickling
        bins, issame = pickle.load(f)
    assert [p['is_same'] for p in ds.metainfo['pairs']] == list(issame)
    for img, data in zip(images, bins):
        expected = cv2.imdecode(np.asarray(data, np.uint8).reshape(-1), cv2.IMREAD_COLOR)
        np.testing.assert_array_equal(img, expected)
    result = lfw_metric_of(ds)
    assert result['accuracy'] == 1.0  # only matched pairs: "all same" is always right
