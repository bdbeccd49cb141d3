"""Landmark datasets on tiny fixtures in the official annotation formats."""

import json

import cv2
import numpy as np
import pytest

from facerec.datasets.annotation_io import AnnotationError
from facerec.datasets.landmark_datasets import CelebALandmarks, NDGLandmarks, VGGFace2Landmarks
from facerec.registry import DATASETS

LM_HEADER = (
    'lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y '
    'leftmouth_x leftmouth_y rightmouth_x rightmouth_y'
)


def write_image(path, shape=(24, 20)):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((*shape, 3), 128, np.uint8))


def points_of(i: int) -> np.ndarray:
    """Distinct integer 5-point landmarks for image ``i``."""
    base = np.array([[69, 109], [106, 113], [77, 142], [73, 152], [108, 154]], np.float32)
    return base + i


# ------------------------------------------------------------------ NDG


@pytest.fixture
def ndg_root(tmp_path):
    root = tmp_path / 'ndg'
    entries = []
    for i in range(3):
        write_image(root / 'crops' / f'p{i}' / 'face.jpg')
        entries.append({'path': f'p{i}/face.jpg', 'lm': (points_of(i) / 10).tolist()})
    write_image(tmp_path / 'elsewhere.png')
    entries.append({'path': str(tmp_path / 'elsewhere.png'), 'lm': [[1, 2]] * 5})
    (root / 'ann.json').write_text(json.dumps(entries, indent=2))
    return root


def test_ndg_landmarks(ndg_root):
    pipeline = [dict(type='LoadImageFromFile'), dict(type='PackFaceInputs')]
    ds = DATASETS.build(
        dict(
            type='NDGLandmarks',
            ann_file='ann.json',
            data_root=str(ndg_root),
            data_prefix='crops',
            pipeline=pipeline,
        )
    )
    assert len(ds) == 4
    info = ds.get_data_info(1)
    assert info['img_path'] == str(ndg_root / 'crops' / 'p1' / 'face.jpg')
    assert info['landmarks'].dtype == np.float32 and info['landmarks'].shape == (5, 2)
    np.testing.assert_allclose(info['landmarks'], points_of(1) / 10)
    assert ds.get_data_info(3)['img_path'].endswith('elsewhere.png')
    sample = ds[0]
    assert sample['inputs'].shape == (3, 24, 20)
    np.testing.assert_allclose(sample['data_samples'].gt_landmarks.numpy(), points_of(0) / 10)


def test_ndg_paths_relative_to_json_without_root(ndg_root):
    entries = json.loads((ndg_root / 'ann.json').read_text())
    for e in entries[:3]:
        e['path'] = 'crops/' + e['path']
    (ndg_root / 'ann2.json').write_text(json.dumps(entries))
    ds = NDGLandmarks(ann_file=str(ndg_root / 'ann2.json'), pipeline=[])
    assert ds.get_data_info(2)['img_path'] == str(ndg_root / 'crops' / 'p2' / 'face.jpg')


def test_ndg_errors(ndg_root):
    ann = ndg_root / 'ann.json'

    def load():
        return NDGLandmarks(ann_file=str(ann), data_prefix=str(ndg_root / 'crops'), pipeline=[])

    ann.write_text('[\n  {"path": "p0/face.jpg",\n   "lm": [[1, 2], [3, 4]]\n  ,]\n')
    with pytest.raises(AnnotationError, match=r'ann.json, line 4: invalid JSON at column \d+'):
        load()
    ann.write_text(json.dumps([{'path': 'p0/face.jpg', 'lm': [[1, 2]] * 5}, {'path': 'p1'}]))
    with pytest.raises(ValueError, match=r'ann.json, line 1: entry 1: missing key\(s\) \[\'lm\'\]'):
        load()
    ann.write_text(json.dumps([{'path': 'p0/face.jpg', 'lm': [[1, 2]] * 4}]))
    with pytest.raises(
        ValueError, match=r'ann.json, line 1: entry 0: expected 5 \[x, y\] points.*4 items'
    ):
        load()
    ann.write_text(json.dumps([{'path': 'p0/face.jpg', 'lm': [[1, 2, 3]] * 5}]))
    with pytest.raises(ValueError, match='entry 0: expected 5'):
        load()
    ann.write_text(json.dumps([{'path': 'p0/face.jpg', 'lm': [[1, 'a']] * 5}]))
    with pytest.raises(ValueError, match='entry 0: "lm" must be'):
        load()
    ann.write_text(json.dumps([{'path': 'p0/face.jpg', 'lm': [[1, 2]] * 5}, 'p1.jpg']))
    with pytest.raises(ValueError, match='entry 1: expected an object'):
        load()
    ann.write_text(json.dumps({'path': 'p0/face.jpg'}))
    with pytest.raises(ValueError, match='expected a JSON list'):
        load()
    entries = [{'path': 'p0/face.jpg', 'lm': [[1, 2]] * 5}, {'path': 'p1', 'lm': [[1, 1e39]] * 5}]
    text = json.dumps(entries, indent=2)
    ann.write_text(text)
    second = [i for i, t in enumerate(text.splitlines(), 1) if t == '  {'][1]
    with pytest.raises(AnnotationError, match=rf'ann.json, line {second}: entry 1: landmark coord'):
        load()
    ann.write_bytes(b'[\n{"path": "p\xff"}]')
    with pytest.raises(AnnotationError, match=r'ann.json, line 2: not UTF-8 text \(byte 0xff\)'):
        load()
    ann.write_text(json.dumps([{'path': 'p9/missing.jpg', 'lm': [[1, 2]] * 5}]))
    with pytest.raises(
        FileNotFoundError, match=r'p9/missing.jpg \(from .*ann.json, line 1, entry 0\)'
    ):
        load()
    with pytest.raises(FileNotFoundError, match='nowhere.json'):
        NDGLandmarks(ann_file=str(ndg_root / 'nowhere.json'), pipeline=[])


# ------------------------------------------------------------------ CelebA

PARTS = [0, 0, 1, 2, 0, 1]
BOXES = [(95, 71, 226, 313), (72, 94, 221, 306), (216, 59, 91, 126), (622, 257, 564, 781)]
BOXES += [(236, 109, 120, 166), (146, 67, 182, 252)]


def celeba_row(i: int, values) -> str:
    """A row as in the official files: name, then right-aligned numbers."""
    return f'{i + 1:06d}.jpg' + ''.join(f'{int(v):>5d}' for v in np.ravel(values))


@pytest.fixture
def celeba_root(tmp_path):
    """6 aligned images, official CRLF landmark/box/partition files and the CSV form."""
    root = tmp_path / 'celeba'
    for i in range(6):
        write_image(root / 'img_align_celeba' / f'{i + 1:06d}.jpg', (218, 178))
    rows = [celeba_row(i, points_of(i)) for i in range(6)]
    (root / 'list_landmarks_align_celeba.txt').write_bytes(
        ('6\r\n' + LM_HEADER + ' \r\n' + ''.join(r + '\r\n' for r in rows)).encode()
    )
    (root / 'list_landmarks_celeba.txt').write_bytes(
        ('6\r\n' + LM_HEADER + ' \r\n' + ''.join(r + '\r\n' for r in rows)).encode()
    )
    boxes = [celeba_row(i, b) for i, b in enumerate(BOXES)]
    (root / 'list_bbox_celeba.txt').write_bytes(
        ('6\r\nimage_id x_1 y_1 width height\r\n' + ''.join(b + '\r\n' for b in boxes)).encode()
    )
    (root / 'list_eval_partition.txt').write_bytes(
        ''.join(f'{i + 1:06d}.jpg {p}\r\n' for i, p in enumerate(PARTS)).encode()
    )
    csv_rows = [
        f'{i + 1:06d}.jpg,' + ','.join(str(int(v)) for v in points_of(i).ravel()) for i in range(6)
    ]
    (root / 'list_landmarks_align_celeba.csv').write_text(
        'image_id,' + LM_HEADER.replace(' ', ',') + '\n' + '\n'.join(csv_rows) + '\n'
    )
    return root


def test_celeba_landmarks_splits_and_scale(celeba_root):
    ds = DATASETS.build(dict(type='CelebALandmarks', data_root=str(celeba_root), pipeline=[]))
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == [
        '000001.jpg',
        '000002.jpg',
        '000005.jpg',
    ]
    info = ds.get_data_info(2)
    assert info['img_path'] == str(celeba_root / 'img_align_celeba' / '000005.jpg')
    assert info['landmarks'].dtype == np.float32 and 'bbox' not in info
    np.testing.assert_array_equal(info['landmarks'], points_of(4))
    val = CelebALandmarks(data_root=str(celeba_root), split='val', scale=0.5, pipeline=[])
    assert len(val) == 2
    np.testing.assert_allclose(val.get_data_info(1)['landmarks'], points_of(5) * 0.5)
    test = CelebALandmarks(data_root=str(celeba_root), split='test', pipeline=[])
    assert [test.get_data_info(i)['img_id'] for i in range(len(test))] == ['000004.jpg']
    everything = CelebALandmarks(
        data_root=str(celeba_root), split='all', partition_file=None, pipeline=[]
    )
    assert len(everything) == 6


def test_celeba_landmarks_csv_form(celeba_root):
    txt = CelebALandmarks(data_root=str(celeba_root), split='all', pipeline=[])
    csv = CelebALandmarks(
        data_root=str(celeba_root),
        ann_file='list_landmarks_align_celeba.csv',
        split='all',
        pipeline=[],
    )
    assert len(csv) == len(txt) == 6
    for i in range(6):
        np.testing.assert_array_equal(
            csv.get_data_info(i)['landmarks'], txt.get_data_info(i)['landmarks']
        )


def test_celeba_in_the_wild_boxes(celeba_root):
    ds = CelebALandmarks(
        data_root=str(celeba_root),
        ann_file='list_landmarks_celeba.txt',
        bbox_file='list_bbox_celeba.txt',
        split='all',
        scale=0.5,
        pipeline=[],
    )
    assert len(ds) == 6
    x, y, w, h = BOXES[3]
    np.testing.assert_allclose(ds.get_data_info(3)['bbox'], np.array([x, y, x + w, y + h]) * 0.5)
    assert ds.get_data_info(3)['bbox'].dtype == np.float32
    np.testing.assert_allclose(ds.get_data_info(3)['landmarks'], points_of(3) * 0.5)


def test_celeba_in_the_wild_training_pipeline(celeba_root):
    np.random.seed(0)
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='RandomBoxJitter', shift=0.05, scale=(0.95, 1.05)),
        dict(type='CropFaceBox', output_size=48, expand=1.2),
        dict(type='RandomRotateFace', max_angle=10, prob=1.0),
        dict(type='RandomBlur', prob=1.0),
        dict(type='PackFaceInputs'),
    ]
    ds = CelebALandmarks(
        data_root=str(celeba_root),
        ann_file='list_landmarks_celeba.txt',
        bbox_file='list_bbox_celeba.txt',
        data_prefix='img_align_celeba',
        split='all',
        pipeline=pipeline,
    )
    sample = ds[0]
    assert sample['inputs'].shape == (3, 48, 48)
    assert sample['data_samples'].gt_landmarks.shape == (5, 2)


def rewrite_line(path, lineno: int, text: str) -> None:
    """Replace one line of a file, keeping its line ends."""
    data = path.read_bytes().decode()
    sep = '\r\n' if '\r\n' in data else '\n'
    lines = data.split(sep)
    lines[lineno - 1] = text
    path.write_bytes(sep.join(lines).encode())


def test_celeba_malformed_files(celeba_root):
    lm = celeba_root / 'list_landmarks_align_celeba.txt'
    original = lm.read_bytes()

    def load(**kwargs):
        kwargs.setdefault('split', 'all')
        return CelebALandmarks(data_root=str(celeba_root), pipeline=[], **kwargs)

    rewrite_line(lm, 5, '000003.jpg 69 109 106 113 77 142 73 152 108')
    with pytest.raises(
        AnnotationError,
        match=r'list_landmarks_align_celeba.txt, line 5: expected an image name and 10 numbers',
    ):
        load()
    lm.write_bytes(original)
    rewrite_line(lm, 4, '000002.jpg 69 109 106 113 77 x42 73 152 108 154')
    with pytest.raises(AnnotationError, match=r'celeba.txt, line 4: non-numeric'):
        load()
    lm.write_bytes(original.replace(b'6\r\n', b'7\r\n', 1))
    with pytest.raises(
        AnnotationError, match=r'celeba.txt, line 1: the first line announces 7 images.* has 6'
    ):
        load()
    lm.write_bytes(original.replace(b'lefteye_x', b'left_eye_x', 1))
    with pytest.raises(AnnotationError, match=r'celeba.txt, line 2: expected the header'):
        load()
    lm.write_bytes(original.replace(b'6\r\n', b'six\r\n', 1))
    with pytest.raises(AnnotationError, match=r'celeba.txt, line 1: the first line'):
        load()
    lm.write_bytes(original + celeba_row(0, points_of(0)).encode() + b'\r\n')
    with pytest.raises(AnnotationError, match=r'line 9: image \'000001.jpg\' is listed twice'):
        load()
    lm.write_bytes(original)

    csv_file = celeba_root / 'list_landmarks_align_celeba.csv'
    rewrite_line(csv_file, 3, '000002.jpg,69,109')
    with pytest.raises(AnnotationError, match=r'celeba.csv, line 3: expected an image name'):
        load(ann_file='list_landmarks_align_celeba.csv')

    box = celeba_root / 'list_bbox_celeba.txt'
    rewrite_line(box, 6, '000004.jpg 622 257 564')
    with pytest.raises(AnnotationError, match=r'list_bbox_celeba.txt, line 6'):
        load(bbox_file='list_bbox_celeba.txt')
    rewrite_line(box, 6, '000004.jpg 622 257 0 781')
    with pytest.raises(AnnotationError, match=r'list_bbox_celeba.txt, line 6: .* no area'):
        load(bbox_file='list_bbox_celeba.txt')
    box.write_bytes(b'1\r\nimage_id x_1 y_1 width height\r\n000001.jpg 1 2 3 4\r\n')
    with pytest.raises(KeyError, match=r"no box for image '000002.jpg' .*line 4\)"):
        load(bbox_file='list_bbox_celeba.txt')

    part = celeba_root / 'list_eval_partition.txt'
    rewrite_line(part, 2, '000002.jpg 3')
    with pytest.raises(AnnotationError, match=r'list_eval_partition.txt, line 2'):
        load(split='train')


def test_celeba_missing_images_and_args(celeba_root):
    (celeba_root / 'img_align_celeba' / '000002.jpg').unlink()
    with pytest.raises(
        FileNotFoundError,
        match=r'000002.jpg \(listed in .*list_landmarks_align_celeba.txt, line 4\)',
    ):
        CelebALandmarks(data_root=str(celeba_root), pipeline=[])
    ds = CelebALandmarks(data_root=str(celeba_root), skip_missing_images=True, pipeline=[])
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == ['000001.jpg', '000005.jpg']
    with pytest.raises(ValueError, match='no images found'):
        CelebALandmarks(
            data_root=str(celeba_root), data_prefix='empty', skip_missing_images=True, pipeline=[]
        )
    with pytest.raises(ValueError, match='split'):
        CelebALandmarks(data_root=str(celeba_root), split='dev', pipeline=[])
    with pytest.raises(ValueError, match='needs a partition_file'):
        CelebALandmarks(data_root=str(celeba_root), partition_file=None, pipeline=[])
    with pytest.raises(ValueError, match='scale'):
        CelebALandmarks(data_root=str(celeba_root), scale=0, pipeline=[])


@pytest.mark.real_data
def test_real_celeba_aligned_landmarks(data_root):
    ds = CelebALandmarks(
        data_root=str(data_root / 'celeba'),
        ann_file='list_landmarks_align_celeba_000001-000330.csv',
        data_prefix='img_align_celeba_89x109',
        scale=0.5,
        skip_missing_images=True,
        pipeline=[dict(type='LoadImageFromFile')],
    )
    assert 200 <= len(ds) <= 330
    eyes = np.stack([ds.get_data_info(i)['landmarks'][:2] for i in range(len(ds))])
    assert (eyes[..., 0] >= 0).all() and (eyes[..., 0] < 89).all()
    assert (eyes[..., 1] >= 0).all() and (eyes[..., 1] < 109).all()
    # Aligned faces: eyes near the mean aligned positions, left eye on the image left.
    assert (eyes[:, 0, 0] < eyes[:, 1, 0]).all()
    np.testing.assert_allclose(eyes.mean(0), [[34.6, 55.6], [53.9, 55.6]], atol=1.5)
    for i in (0, len(ds) - 1):
        assert ds[i]['img'].shape == (109, 89, 3)


# ------------------------------------------------------------------ VGGFace2

VGG_NAMES = ['n000002/0001_01', 'n000002/0002_01', 'n000003/0001_02']
VGG_BOXES = [(161, 140, 224, 324), (28, 17, 44, 58), (60, 0, 172, 224)]
VGG_POINTS = [
    [75.81253, 110.2077, 103.1778, 104.6074, 90.06353, 133.3196, 85.39182, 149.4364, 114.9009],
    [32.1, 41.0, 50.5, 40.2, 41.9, 52.7, 35.4, 60.3, 49.8],
    [101.5, 92.25, 140.0, 91.75, 120.125, 118.5, 104.0, 140.0, 137.5],
]
VGG_POINTS = [p + [144.9524] for p in VGG_POINTS]
VGG_BB_HEADER = 'NAME_ID,X,Y,W,H'
VGG_LM_HEADER = 'NAME_ID,P1X,P1Y,P2X,P2Y,P3X,P3Y,P4X,P4Y,P5X,P5Y'


@pytest.fixture
def vggface2_root(tmp_path):
    root = tmp_path / 'vggface2'
    for name in VGG_NAMES:
        write_image(root / 'train' / f'{name}.jpg', (32, 28))
    (root / 'bb_landmark').mkdir()
    bb = [f'"{n}",' + ','.join(map(str, b)) for n, b in zip(VGG_NAMES, VGG_BOXES)]
    lm = [f'"{n}",' + ','.join(map(str, p)) for n, p in zip(VGG_NAMES, VGG_POINTS)]
    (root / 'bb_landmark' / 'loose_bb_train.csv').write_text('\n'.join([VGG_BB_HEADER, *bb]) + '\n')
    (root / 'bb_landmark' / 'loose_landmark_train.csv').write_text(
        '\n'.join([VGG_LM_HEADER, *lm]) + '\n'
    )
    return root


def test_vggface2_landmarks(vggface2_root):
    ds = DATASETS.build(dict(type='VGGFace2Landmarks', data_root=str(vggface2_root), pipeline=[]))
    assert len(ds) == 3
    info = ds.get_data_info(2)
    assert info['img_path'] == str(vggface2_root / 'train' / 'n000003' / '0001_02.jpg')
    assert info['identity'] == 'n000003' and info['img_id'] == 'n000003/0001_02'
    np.testing.assert_allclose(info['bbox'], [60, 0, 232, 224])
    np.testing.assert_allclose(info['landmarks'], np.reshape(VGG_POINTS[2], (5, 2)), rtol=1e-6)
    assert info['landmarks'].dtype == np.float32 and info['bbox'].dtype == np.float32


def test_vggface2_errors(vggface2_root):
    bb = vggface2_root / 'bb_landmark' / 'loose_bb_train.csv'
    lm = vggface2_root / 'bb_landmark' / 'loose_landmark_train.csv'
    bb_text, lm_text = bb.read_text(), lm.read_text()

    def load(**kwargs):
        return VGGFace2Landmarks(data_root=str(vggface2_root), pipeline=[], **kwargs)

    bb.write_text(bb_text.replace('28,17,44,58', '28,17,44'))
    with pytest.raises(AnnotationError, match=r'loose_bb_train.csv, line 3: expected an image'):
        load()
    bb.write_text(bb_text.replace('28,17,44,58', '28,17,-44,58'))
    with pytest.raises(AnnotationError, match=r'loose_bb_train.csv, line 3: .* no area'):
        load()
    bb.write_text(bb_text)
    lm.write_text(lm_text.replace('32.1', 'nan'))
    with pytest.raises(AnnotationError, match=r'loose_landmark_train.csv, line 3: .*finite'):
        load()
    lm.write_text(lm_text.replace('NAME_ID,P1X', 'NAME,P1X'))
    with pytest.raises(AnnotationError, match=r'loose_landmark_train.csv, line 1: expected the'):
        load()
    lm.write_text('\n'.join(lm_text.splitlines()[:3]) + '\n')
    with pytest.raises(
        ValueError,
        match=r'1 image\(s\) of .*loose_bb_train.csv are not in .*loose_landmark_train.csv, '
        r"e.g. 'n000003/0001_02' \(.*loose_bb_train.csv, line 4\)",
    ):
        load()
    lm.write_text(lm_text)
    bb.write_text('\n'.join(bb_text.splitlines()[:2]) + '\n')
    with pytest.raises(ValueError, match=r'2 image\(s\) of .*loose_landmark_train.csv are not in'):
        load()
    bb.write_text(bb_text)
    (vggface2_root / 'train' / 'n000002' / '0002_01.jpg').unlink()
    with pytest.raises(
        FileNotFoundError, match=r'0002_01.jpg \(listed in .*loose_landmark_train.csv, line 3\)'
    ):
        load()
    assert len(load(skip_missing_images=True)) == 2
