"""VGGFace2 identities from the official image list and loose landmark / box CSVs."""

import cv2
import numpy as np
import pytest

from facerec.datasets import AnnotationError, VGGFace2, annotation_io
from facerec.registry import DATASETS

NAMES = ['n000002/0001_01', 'n000002/0002_01', 'n000017/0001_02', 'n000017/0007_01']
LANDMARK_HEADER = 'NAME_ID,P1X,P1Y,P2X,P2Y,P3X,P3Y,P4X,P4Y,P5X,P5Y'


def landmark_row(name: str, i: int) -> str:
    values = [75.81 + i, 110.18, 103.1 + i, 108.2, 90.5, 126.0, 80.25, 145.7, 101.0, 144.9]
    return f'"{name}",' + ','.join(f'{v:g}' for v in values)


@pytest.fixture
def vggface2_like(tmp_path):
    """The official layout: train/<id>/<img>.jpg, meta/train_list.txt, bb_landmark/*.csv."""
    root = tmp_path / 'vggface2'
    for name in NAMES:
        (root / 'train' / name).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / 'train' / f'{name}.jpg'), np.zeros((20, 16, 3), np.uint8))
    (root / 'meta').mkdir()
    (root / 'meta' / 'train_list.txt').write_text(''.join(f'{n}.jpg\n' for n in NAMES))
    (root / 'bb_landmark').mkdir()
    rows = [landmark_row(n, i) for i, n in enumerate(reversed(NAMES))]
    (root / 'bb_landmark' / 'loose_landmark_train.csv').write_text(
        '\n'.join([LANDMARK_HEADER, *rows]) + '\n'
    )
    boxes = [f'"{n}",{10 + i},20,{100 + i},120' for i, n in enumerate(NAMES)]
    (root / 'bb_landmark' / 'loose_bb_train.csv').write_text(
        '\n'.join(['NAME_ID,X,Y,W,H', *boxes]) + '\n'
    )
    return root


def test_vggface2_identities_landmarks_and_boxes(vggface2_like):
    ds = DATASETS.build(
        dict(
            type='VGGFace2',
            data_root=str(vggface2_like),
            bbox_file='bb_landmark/loose_bb_train.csv',
            check_images=True,
            pipeline=[dict(type='LoadImageFromFile')],
        )
    )
    assert len(ds) == 4 and ds.metainfo['classes'] == ('n000002', 'n000017')
    np.testing.assert_array_equal(ds.get_gt_labels(), [0, 0, 1, 1])
    info = ds.get_data_info(2)
    assert info['img_path'] == str(vggface2_like / 'train' / 'n000017' / '0001_02.jpg')
    assert info['identity'] == 'n000017' and info['img_id'] == 'n000017/0001_02'
    # Rows are matched by name, not by position (the CSV lists the images in reverse).
    np.testing.assert_allclose(info['landmarks'][0], [75.81 + 1, 110.18], rtol=1e-6)
    assert info['landmarks'].shape == (5, 2) and info['landmarks'].dtype == np.float32
    np.testing.assert_array_equal(info['bbox'], [12, 20, 114, 140])
    assert ds[0]['img'].shape == (20, 16, 3)
    plain = VGGFace2(data_root=str(vggface2_like), landmark_file=None)
    assert 'landmarks' not in plain.get_data_info(0) and 'bbox' not in plain.get_data_info(0)


def test_listed_image_without_landmarks_is_an_error(vggface2_like):
    csv = vggface2_like / 'bb_landmark' / 'loose_landmark_train.csv'
    lines = csv.read_text().splitlines()
    csv.write_text('\n'.join(lines[:2] + lines[3:]) + '\n')  # drop n000017/0001_02
    with pytest.raises(
        AnnotationError,
        match=r"train_list\.txt, line 3: image 'n000017/0001_02' has no row in .*"
        r'loose_landmark_train\.csv',
    ):
        VGGFace2(data_root=str(vggface2_like))


@pytest.mark.parametrize(
    'line, message',
    [
        ('n000002/0001_01.jpg extra', 'expected one'),
        ('0001_01.jpg', 'expected "<identity>/<image>"'),
        ('n000002/0001_01.jpg', "'n000002/0001_01.jpg' is listed twice .first on line 1."),
    ],
)
def test_malformed_list_lines(vggface2_like, line, message):
    lst = vggface2_like / 'meta' / 'train_list.txt'
    lst.write_text(lst.read_text() + line + '\n')
    with pytest.raises(AnnotationError, match=rf'train_list\.txt, line 5: {message}'):
        VGGFace2(data_root=str(vggface2_like))


def test_malformed_csv_rows(vggface2_like):
    csv = vggface2_like / 'bb_landmark' / 'loose_landmark_train.csv'
    csv.write_text(csv.read_text() + '"n000003/0001_01",1,2,3\n')
    with pytest.raises(AnnotationError, match=r'loose_landmark_train\.csv, line 6'):
        VGGFace2(data_root=str(vggface2_like))
    box = vggface2_like / 'bb_landmark' / 'loose_bb_train.csv'
    box.write_text(
        box.read_text().replace('"n000002/0002_01",11,20,101,120', '"n000002/0002_01",11,20,0,120')
    )
    with pytest.raises(AnnotationError, match=r'loose_bb_train\.csv, line 3: box of'):
        VGGFace2(data_root=str(vggface2_like), landmark_file=None, bbox_file=str(box))


def test_missing_image_is_found_when_the_dataset_is_built(vggface2_like, monkeypatch):
    (vggface2_like / 'train' / 'n000017' / '0007_01.jpg').unlink()
    with pytest.raises(FileNotFoundError, match=r'0007_01\.jpg \(listed in .*line 4\)'):
        VGGFace2(data_root=str(vggface2_like))
    assert len(VGGFace2(data_root=str(vggface2_like), check_images=False)) == 4
    logged = []
    monkeypatch.setattr(annotation_io, 'print_log', lambda msg, **kwargs: logged.append(msg))
    assert len(VGGFace2(data_root=str(vggface2_like), skip_missing_images=True)) == 3
    assert logged[0].startswith('VGGFace2: skipped 1 image(s) listed in')


def test_recipe_config_reads_the_official_layout(vggface2_like):
    """``configs/mobilefacenet_vgg2.py`` trains from the official list and landmark CSV."""
    from pathlib import Path

    from mmengine.config import Config

    from facerec.utils import register_all_modules

    register_all_modules()
    config = Path(__file__).resolve().parents[2] / 'configs' / 'mobilefacenet_vgg2.py'
    cfg = Config.fromfile(str(config))
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.data_root = str(vggface2_like)
    ds = DATASETS.build(dataset_cfg)
    assert type(ds).__name__ == 'VGGFace2' and len(ds) == 4
    sample = ds[3]
    assert tuple(sample['inputs'].shape) == (3, 112, 112)
    assert int(sample['data_samples'].gt_label) == 1
