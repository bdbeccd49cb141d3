import numpy as np
import pytest

from facerec.datasets.annotation_io import AnnotationError
from facerec.datasets.celeba_annotations import (
    CELEBA_BBOX_COLUMNS,
    CelebASplit,
    check_split,
    read_celeba_table,
    read_partition_file,
)


def test_check_split():
    for split in ('train', 'val', 'test', 'all'):
        assert check_split(split) == split
    with pytest.raises(ValueError, match=r"split must be one of \['train', 'val', 'test', 'all'\]"):
        check_split('valid')


@pytest.fixture
def partition_file(tmp_path):
    path = tmp_path / 'list_eval_partition.txt'
    path.write_text('000001.jpg 0\r\n000002.jpg 1\r\n000003.jpg 2\r\n000004.jpg 0\r\n')
    return str(path)


def test_partition_file_both_forms(partition_file, tmp_path):
    expected = {'000001.jpg': 0, '000002.jpg': 1, '000003.jpg': 2, '000004.jpg': 0}
    assert read_partition_file(partition_file) == expected
    csv_file = tmp_path / 'partition.csv'
    csv_file.write_text('image_id,partition\n' + ''.join(f'{k},{v}\n' for k, v in expected.items()))
    assert read_partition_file(str(csv_file)) == expected
    (tmp_path / 'bad.txt').write_text('000001.jpg 0\n000002.jpg 3\n')
    with pytest.raises(AnnotationError, match=r'bad.txt, line 2: expected "image 0\|1\|2"'):
        read_partition_file(str(tmp_path / 'bad.txt'))


def test_split_membership(partition_file):
    names = ['000001.jpg', '000002.jpg', '000003.jpg', '000004.jpg']
    assert [n for n in names if n in CelebASplit('train', partition_file)] == [names[0], names[3]]
    assert [n for n in names if n in CelebASplit('val', partition_file)] == [names[1]]
    assert [n for n in names if n in CelebASplit('test', partition_file)] == [names[2]]
    # 'all', or no partition file, selects every image without reading any file.
    assert all(n in CelebASplit('all', partition_file) for n in names + ['999999.jpg'])
    assert all(n in CelebASplit('train', None) for n in names)
    train = CelebASplit('train', partition_file)
    with pytest.raises(KeyError, match=r"partition.txt has no entry for image '000009.jpg'"):
        train.__contains__('000009.jpg')


def test_table_official_and_csv_forms(tmp_path):
    official = tmp_path / 'list_bbox_celeba.txt'
    official.write_text(
        '2\nimage_id x_1 y_1 width height\n000001.jpg    95  71 226 313\n000002.jpg 72 94 221 306\n'
    )
    csv_file = tmp_path / 'list_bbox_celeba.csv'
    csv_file.write_text(
        'image_id,x_1,y_1,width,height\n000001.jpg,95,71,226,313\n000002.jpg,72,94,221,306\n'
    )
    for path, first_row in ((official, 3), (csv_file, 2)):
        rows = read_celeba_table(str(path), CELEBA_BBOX_COLUMNS)
        assert list(rows) == ['000001.jpg', '000002.jpg']
        np.testing.assert_array_equal(rows['000002.jpg'][0], [72, 94, 221, 306])
        assert rows['000001.jpg'][1] == first_row and rows['000001.jpg'][0].dtype == np.float32
