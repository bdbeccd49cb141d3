"""FaceListIdentities: the label lists (CASIA-WebFace, TrillionPairs) and the pipe lists
(MS-Celeb-1M, IMDB-Face)."""

import re

import cv2
import numpy as np
import pytest

from facerec.datasets import AnnotationError, FaceListIdentities, annotation_io
from facerec.registry import DATASETS

LM = [30.2, 51.5, 65.5, 51.1, 48.0, 71.7, 33.5, 92.4, 62.7, 92.0]


def coords(values) -> str:
    return ' '.join(f'{v:g}' for v in values)


def test_label_list_with_and_without_landmarks(tmp_path):
    (tmp_path / 'imgs' / '0000045').mkdir(parents=True)
    cv2.imwrite(str(tmp_path / 'imgs' / '0000045' / '001.jpg'), np.zeros((9, 7, 3), np.uint8))
    (tmp_path / 'list.txt').write_text(
        f'0000045/001.jpg 3 {coords(LM)}\n'
        f'0000099/001.jpg\t0\t{coords(np.array(LM) + 1)}\r\n'
        '\n'
        f'0000045/002.jpg 3 {coords(LM)}\n'
    )
    ds = DATASETS.build(
        dict(
            type='FaceListIdentities',
            data_root=str(tmp_path),
            ann_file='list.txt',
            data_prefix='imgs',
            check_images=False,
            pipeline=[dict(type='LoadImageFromFile')],
        )
    )
    assert len(ds) == 3 and ds.metainfo['classes'] == ('0', '3')
    np.testing.assert_array_equal(ds.get_gt_labels(), [1, 0, 1])
    info = ds.get_data_info(1)
    assert info['img_path'] == str(tmp_path / 'imgs' / '0000099' / '001.jpg')
    np.testing.assert_allclose(info['landmarks'], np.reshape(LM, (5, 2)) + 1, rtol=1e-6)
    assert ds[0]['img'].shape == (9, 7, 3)
    (tmp_path / 'plain.txt').write_text('a/1.jpg 0\na/2.jpg 0\nb/1.jpg 1\n')
    plain = FaceListIdentities(data_root=str(tmp_path), ann_file='plain.txt', check_images=False)
    assert len(plain) == 3 and 'landmarks' not in plain.get_data_info(0)


def test_landmarks_relative_to_the_image_size(tmp_path):
    (tmp_path / 'casia.txt').write_text(f'0000045/001.jpg 0 {coords([0.5, 0.25] * 5)}\n')
    ds = FaceListIdentities(
        ann_file=str(tmp_path / 'casia.txt'),
        landmark_units='image',
        img_size=(250, 200),
        check_images=False,
    )
    np.testing.assert_allclose(ds.get_data_info(0)['landmarks'], [[125.0, 50.0]] * 5)
    with pytest.raises(ValueError, match='img_size'):
        FaceListIdentities(ann_file=str(tmp_path / 'casia.txt'), landmark_units='image')


def test_pipe_list_with_boxes(tmp_path):
    frac = [0.3, 0.4, 0.7, 0.4, 0.5, 0.6, 0.35, 0.8, 0.65, 0.8]
    (tmp_path / 'ms1m.txt').write_text(
        f'm.0107_f/1-FaceId-0.jpg|{coords(frac)}|10 20 100 200\n'
        'm.0107_f/2-FaceId-0.jpg\n'
        f'm.0107_f/3-FaceId-0.jpg|{coords(frac)}|0 0 50 50\n'
        f'm.01_4l/sub/9-FaceId-0.jpg|{coords(frac)}|5 5 10 10\n'
    )
    ds = FaceListIdentities(
        ann_file=str(tmp_path / 'ms1m.txt'), landmark_units='box', check_images=False
    )
    assert len(ds) == 3 and ds.metainfo['classes'] == ('m.0107_f', 'm.01_4l/sub')
    np.testing.assert_array_equal(ds.get_gt_labels(), [0, 0, 1])
    first = ds.get_data_info(0)
    np.testing.assert_allclose(first['landmarks'][0], [10 + 0.3 * 100, 20 + 0.4 * 200])
    np.testing.assert_array_equal(first['bbox'], [10, 20, 110, 220])
    pixels = FaceListIdentities(ann_file=str(tmp_path / 'ms1m.txt'), check_images=False)
    np.testing.assert_allclose(pixels.get_data_info(0)['landmarks'][0], [0.3, 0.4], rtol=1e-6)
    # An IMDB-Face style line with an empty box field.
    (tmp_path / 'imdb.txt').write_text(f'nm0000001/a.jpg|{coords(LM)}|\n')
    imdb = FaceListIdentities(ann_file=str(tmp_path / 'imdb.txt'), check_images=False)
    assert 'bbox' not in imdb.get_data_info(0) and imdb.get_data_info(0)['identity'] == 'nm0000001'


@pytest.mark.parametrize(
    'text, message, kwargs',
    [
        ('a/1.jpg 0\na/2.jpg 0 1 2 3\n', 'line 2: expected "path label"', {}),
        ('a/1.jpg 0\n\na/2.jpg x\n', 'line 3: the label must be an integer', {}),
        ('a/1.jpg -2\n', 'line 1: negative label', {}),
        (f'a/1.jpg 0 {coords(LM[:-1])} nan\n', 'line 1: non-numeric|line 1: .* must be finite', {}),
        (f'a/1.jpg 0 {coords(LM)}\n', "line 1: landmark_units='box' needs a face box", {'box': 1}),
        (f'a/1.jpg|{coords(LM)}|1 2 3 4|x\n', 'line 1: expected "path|x1 y1', {}),
        (f'a/1.jpg|{coords(LM)}|1 2 0 4\n', 'line 1: the box .* has no area', {}),
        (f'a/1.jpg|{coords(LM)}|1 2 3\n', r'line 1: expected 4 box values', {}),
        (f'a/1.jpg|{coords(LM[:4])}|1 2 3 4\n', 'line 1: expected 10 landmark coordinates', {}),
        (f'1.jpg|{coords(LM)}|1 2 3 4\n', 'line 1: expected an "<identity>/<image>" path', {}),
    ],
)
def test_malformed_lines_name_file_and_line(tmp_path, text, message, kwargs):
    (tmp_path / 'bad.txt').write_text(text)
    units = 'box' if kwargs.get('box') else 'pixels'
    with pytest.raises(AnnotationError, match=rf'bad\.txt, ({message})'):
        FaceListIdentities(ann_file=str(tmp_path / 'bad.txt'), landmark_units=units)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='list_format'):
        FaceListIdentities(ann_file='x.txt', list_format='csv')
    with pytest.raises(ValueError, match='landmark_units'):
        FaceListIdentities(ann_file='x.txt', landmark_units='mm')
    with pytest.raises(FileNotFoundError, match='missing.txt'):
        FaceListIdentities(ann_file=str(tmp_path / 'missing.txt'))


def test_degenerate_landmarks_are_reported_with_image_file_and_line(tmp_path):
    for name in ('a/1.jpg', 'a/2.jpg'):
        (tmp_path / 'imgs' / name).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(tmp_path / 'imgs' / name), np.zeros((60, 60, 3), np.uint8))
    (tmp_path / 'list.txt').write_text(f'a/1.jpg 0 {coords(LM)}\n\na/2.jpg 0 {coords([0] * 10)}\n')
    pipeline = [dict(type='LoadImageFromFile'), dict(type='AlignFace', output_size=32)]
    ds = FaceListIdentities(
        ann_file=str(tmp_path / 'list.txt'), data_prefix=str(tmp_path / 'imgs'), pipeline=pipeline
    )
    assert ds[0]['img'].shape == (32, 32, 3)
    assert ds.get_data_info(0)['landmarks_source'] == f'{tmp_path / "list.txt"}, line 1'
    where = f'{tmp_path / "imgs" / "a" / "2.jpg"} (landmarks from {tmp_path / "list.txt"}, line 3)'
    with pytest.raises(ValueError, match=re.escape(f'Cannot align {where}: Source points are')):
        ds[1]
    # Landmarks of a separate landmark file name that file's line.
    (tmp_path / 'lm.txt').write_text(f'a/1.jpg {coords([5] * 10)}\na/2.jpg {coords(LM)}\n')
    ds = FaceListIdentities(
        ann_file=str(tmp_path / 'list.txt'),
        data_prefix=str(tmp_path / 'imgs'),
        landmark_file=str(tmp_path / 'lm.txt'),
        pipeline=pipeline,
    )
    assert ds[1]['img'].shape == (32, 32, 3)
    with pytest.raises(
        ValueError, match=re.escape(f'landmarks from {tmp_path / "lm.txt"}, line 1)')
    ):
        ds[0]


def test_missing_listed_image_is_found_when_the_dataset_is_built(tmp_path, monkeypatch):
    for name in ('a/1.jpg', 'b/1.jpg'):
        (tmp_path / 'imgs' / name).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(tmp_path / 'imgs' / name), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / 'list.txt').write_text('a/1.jpg 0\na/2.jpg 0\n\nb/1.jpg 1\nc/9.jpg 2\n')
    kwargs = dict(ann_file=str(tmp_path / 'list.txt'), data_prefix=str(tmp_path / 'imgs'))
    missing = re.escape(f'{tmp_path / "imgs" / "a" / "2.jpg"} (listed in {tmp_path / "list.txt"}')
    with pytest.raises(FileNotFoundError, match=rf'Image file not found: {missing}, line 2\)'):
        FaceListIdentities(**kwargs)
    logged = []
    monkeypatch.setattr(annotation_io, 'print_log', lambda msg, **kwargs: logged.append(msg))
    ds = FaceListIdentities(skip_missing_images=True, **kwargs)
    assert [ds.get_data_info(i)['img_path'] for i in range(len(ds))] == [
        str(tmp_path / 'imgs' / 'a' / '1.jpg'),
        str(tmp_path / 'imgs' / 'b' / '1.jpg'),
    ]
    assert ds.metainfo['classes'] == ('0', '1')
    assert logged[0].startswith(f'FaceListIdentities: skipped 2 image(s) listed in {tmp_path}')
    assert len(FaceListIdentities(check_images=False, **kwargs)) == 4
