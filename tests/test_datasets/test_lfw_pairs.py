import numpy as np
import pytest

from facerec.datasets import AnnotationError, LFWPairs, load_pairs_file
from facerec.registry import DATASETS


def build(root, **kwargs):
    cfg = dict(type='LFWPairs', data_root=str(root), ann_file='pairs.txt', pipeline=[])
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_pairs_file_folds(lfw_like):
    pairs, folds = load_pairs_file(str(lfw_like / 'pairs.txt'))
    assert folds == 10 and len(pairs) == 40
    # Each fold: 2 matched lines then 2 mismatched lines.
    assert [p['is_same'] for p in pairs[:4]] == [True, True, False, False]
    assert [p['fold'] for p in pairs[::4]] == list(range(10))
    assert pairs[2]['name1'] == 'Person_A' and pairs[2]['idx1'] == 3
    assert pairs[2]['name2'] == 'Person_B' and pairs[2]['idx2'] == 1


def test_each_unique_image_is_one_item(lfw_like):
    ds = build(lfw_like, landmark_file='landmarks.txt')
    pairs = ds.metainfo['pairs']
    assert len(pairs) == 40 and ds.metainfo['num_folds'] == 10
    keys = {(p['name1'], p['idx1']) for p in pairs} | {(p['name2'], p['idx2']) for p in pairs}
    assert len(ds) == len(keys)
    for p in pairs:
        info1, info2 = ds.get_data_info(p['sample_idx1']), ds.get_data_info(p['sample_idx2'])
        assert info1['img_path'].endswith(f'{p["name1"]}/{p["name1"]}_{p["idx1"]:04d}.jpg')
        assert info2['img_path'].endswith(f'{p["name2"]}/{p["name2"]}_{p["idx2"]:04d}.jpg')
        assert info1['landmarks'].shape == (5, 2)


def test_pairs_per_fold_subset(lfw_like):
    ds = build(lfw_like, pairs_per_fold=1)
    pairs = ds.metainfo['pairs']
    assert len(pairs) == 20
    for fold in range(10):
        kinds = sorted(p['is_same'] for p in pairs if p['fold'] == fold)
        assert kinds == [False, True]


def test_malformed_pairs_lines_name_file_and_line(lfw_like):
    lines = (lfw_like / 'pairs.txt').read_text().splitlines()
    bad = list(lines)
    bad[2] = 'Person_B\t2'  # the second matched line of fold 0 (file line 3) lacks a number
    (lfw_like / 'bad.txt').write_text('\n'.join(bad))
    with pytest.raises(AnnotationError, match=r'bad.txt, line 3: expected a matched pair'):
        build(lfw_like, ann_file='bad.txt')
    bad = list(lines)
    bad[4] = 'Person_A\tone\tPerson_B\t1'
    (lfw_like / 'bad.txt').write_text('\n'.join(bad))
    with pytest.raises(AnnotationError, match=r'line 5: image number must be an integer'):
        build(lfw_like, ann_file='bad.txt')
    (lfw_like / 'bad.txt').write_text('\n'.join(lines[:-1]))
    with pytest.raises(AnnotationError, match='announces 40 pair lines, the file has 39'):
        build(lfw_like, ann_file='bad.txt')
    (lfw_like / 'bad.txt').write_text('ten folds\n')
    with pytest.raises(AnnotationError, match='line 1'):
        build(lfw_like, ann_file='bad.txt')
    data = '\n'.join(lines).encode()
    (lfw_like / 'bad.txt').write_bytes(data.replace(b'Person_B\t2', b'Person_\xc9\t2', 1))
    with pytest.raises(AnnotationError, match=r'bad.txt, line 3: not UTF-8 text \(byte 0xc9'):
        build(lfw_like, ann_file='bad.txt')


def test_missing_image_and_landmarks(lfw_like):
    (lfw_like / 'lfw-deepfunneled' / 'Person_B' / 'Person_B_0003.jpg').unlink()
    with pytest.raises(FileNotFoundError, match=r'Person_B_0003.jpg \(from .*pairs.txt, line 3\)'):
        build(lfw_like)


def test_landmark_file_must_cover_images(lfw_like):
    lines = (lfw_like / 'landmarks.txt').read_text().splitlines()
    (lfw_like / 'lm.txt').write_text(
        '\n'.join(line for line in lines if 'Person_C_0001' not in line)
    )
    with pytest.raises(
        KeyError, match=r"lm.txt has no entry for image 'Person_C/Person_C_0001.jpg'"
    ):
        build(lfw_like, landmark_file='lm.txt')
    (lfw_like / 'lm.txt').write_text(lines[0] + '\n' + lines[1].rsplit('\t', 1)[0] + '\n')
    with pytest.raises(AnnotationError, match=r'lm.txt, line 2: expected an image name and 10'):
        build(lfw_like, landmark_file='lm.txt')


def test_pipeline_output(lfw_like):
    pipeline = [dict(type='LoadImageFromFile'), dict(type='AlignFace'), dict(type='PackFaceInputs')]
    ds = build(lfw_like, landmark_file='landmarks.txt', pipeline=pipeline)
    item = ds[0]
    assert item['inputs'].shape == (3, 112, 112)
    assert item['data_samples'].sample_idx == 0


@pytest.mark.real_data
def test_real_lfw_view2(data_root):
    ds = LFWPairs(
        data_root=str(data_root / 'lfw'), landmark_file='lfw_deepfunneled_landmark.txt', pipeline=[]
    )
    pairs = ds.metainfo['pairs']
    assert len(pairs) == 6000
    folds = np.array([p['fold'] for p in pairs])
    same = np.array([p['is_same'] for p in pairs])
    for k in range(10):
        assert same[folds == k].sum() == 300 and (~same[folds == k]).sum() == 300
    assert pairs[0]['name1'] == 'Abel_Pacheco' and (pairs[0]['idx1'], pairs[0]['idx2']) == (1, 4)
    assert len(ds) == len(
        {(p['name1'], p['idx1']) for p in pairs} | {(p['name2'], p['idx2']) for p in pairs}
    )


@pytest.mark.real_data
def test_real_lfw_view1_header(data_root):
    pairs, folds = load_pairs_file(str(data_root / 'lfw' / 'pairsDevTest.txt'))
    assert folds == 1 and len(pairs) == 1000 and sum(p['is_same'] for p in pairs) == 500
