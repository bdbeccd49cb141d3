import os.path as osp
from unittest import mock

import pytest

from facerec.datasets import BaseFaceDataset
from facerec.datasets.annotation_io import ImageChecker
from facerec.datasets.transforms import LoadImageFromFile


class _Listed(BaseFaceDataset):
    """A dataset of the images named in ``ann_file``, one per line."""

    def load_data_list(self):
        with open(self.ann_file) as f:
            return [dict(img_path=f'{self.img_root}/{line.strip()}') for line in f]


def test_data_prefix_string_and_pipeline(tmp_path):
    (tmp_path / 'list.txt').write_text('a.jpg\nb.jpg\n')
    ds = _Listed(
        data_root=str(tmp_path),
        data_prefix='images',
        ann_file='list.txt',
        pipeline=[dict(type='LoadImageFromFile')],
    )
    assert ds.data_prefix == dict(img_path=str(tmp_path / 'images'))
    assert ds.img_root == str(tmp_path / 'images')
    assert ds.get_data_info(1)['img_path'] == f'{tmp_path}/images/b.jpg'
    assert isinstance(ds.pipeline.transforms[0], LoadImageFromFile)
    # Without a data_prefix the images are under data_root.
    no_prefix = _Listed(data_root=str(tmp_path), ann_file='list.txt')
    assert osp.normpath(no_prefix.img_root) == str(tmp_path)


def test_under_root():
    assert BaseFaceDataset._under_root('/data', 'a.txt') == '/data/a.txt'
    assert BaseFaceDataset._under_root('/data', '/abs/a.txt') == '/abs/a.txt'
    assert BaseFaceDataset._under_root('', 'a.txt') == 'a.txt'
    assert BaseFaceDataset._under_root('/data', None) is None


def test_image_checker(tmp_path):
    (tmp_path / 'a.jpg').write_bytes(b'')
    owner = object()
    checker = ImageChecker(owner, 'list.txt', str(tmp_path))
    assert checker.present(str(tmp_path / 'a.jpg'), 1)
    with pytest.raises(FileNotFoundError, match=r'b.jpg \(listed in list.txt, line 2\)'):
        checker.present(str(tmp_path / 'b.jpg'), 2)

    skipping = ImageChecker(owner, 'list.txt', str(tmp_path), skip_missing=True)
    found = [skipping.present(str(tmp_path / n), i) for i, n in enumerate(['a.jpg', 'b.jpg', 'c'])]
    assert found == [True, False, False] and skipping.skipped == 2
    with mock.patch('facerec.datasets.annotation_io.print_log') as print_log:
        skipping.log_skipped()
    assert 'object: skipped 2 image(s) listed in list.txt' in print_log.call_args[0][0]
    with mock.patch('facerec.datasets.annotation_io.print_log') as print_log:
        checker.log_skipped()  # nothing skipped, nothing logged
    print_log.assert_not_called()

    # A disabled checker takes every image as present.
    assert ImageChecker(owner, 'list.txt', str(tmp_path), enabled=False).present('/nowhere', 1)
