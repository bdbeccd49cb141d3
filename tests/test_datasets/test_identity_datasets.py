import cv2
import numpy as np
import pytest

from facerec.datasets import (
    CELEBA_ALIGNED_MEAN_LANDMARKS,
    AnnotationError,
    CelebAIdentities,
    ImageFolderIdentities,
)
from facerec.registry import DATASETS


def test_image_folder_identities(identity_folder):
    ds = DATASETS.build(
        dict(type='ImageFolderIdentities', data_root=str(identity_folder), pipeline=[])
    )
    assert len(ds) == 16 and ds.metainfo['num_classes'] == 4
    assert ds.metainfo['classes'] == ('id00', 'id01', 'id02', 'id03')
    assert ds.get_data_info(5)['gt_label'] == 1 and ds.get_data_info(5)['img_path'].endswith(
        'id01/1.jpg'
    )
    np.testing.assert_array_equal(ds.get_gt_labels(), np.repeat(np.arange(4), 4))


def test_image_folder_min_images_and_landmarks(identity_folder):
    for f in list((identity_folder / 'id02').iterdir())[1:]:
        f.unlink()
    lines = [f'id{i:02d}/{n}.jpg ' + ' '.join(['10'] * 10) for i in range(4) for n in range(4)]
    (identity_folder / 'lm.txt').write_text('\n'.join(lines))
    ds = ImageFolderIdentities(
        data_root=str(identity_folder),
        min_images_per_identity=2,
        landmark_file='lm.txt',
        pipeline=[],
    )
    assert ds.metainfo['classes'] == ('id00', 'id01', 'id03') and len(ds) == 12
    assert ds.get_data_info(11)['gt_label'] == 2
    np.testing.assert_array_equal(ds.get_data_info(0)['landmarks'], np.full((5, 2), 10.0))
    (identity_folder / 'lm.txt').write_text('\n'.join(lines[:3]))
    with pytest.raises(KeyError, match="lm.txt has no entry for image 'id00/3.jpg'"):
        ImageFolderIdentities(data_root=str(identity_folder), landmark_file='lm.txt', pipeline=[])


def test_image_folder_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere'):
        ImageFolderIdentities(data_root=str(tmp_path / 'nowhere'), pipeline=[])


@pytest.fixture
def celeba_like(tmp_path):
    """CelebA layout: 8 images of 3 identities, official-format CRLF annotation files."""
    root = tmp_path / 'celeba'
    (root / 'img_align_celeba').mkdir(parents=True)
    ids = [5, 5, 9, 9, 9, 2, 5, 2]
    parts = [0, 0, 0, 0, 1, 0, 2, 0]
    for i in range(8):
        cv2.imwrite(
            str(root / 'img_align_celeba' / f'{i + 1:06d}.jpg'), np.zeros((218, 178, 3), np.uint8)
        )
    (root / 'identity_CelebA.txt').write_bytes(
        ''.join(f'{i + 1:06d}.jpg {k}\r\n' for i, k in enumerate(ids)).encode()
    )
    (root / 'list_eval_partition.txt').write_text(
        ''.join(f'{i + 1:06d}.jpg {p}\n' for i, p in enumerate(parts))
    )
    return root


def test_celeba_identities_split_and_labels(celeba_like):
    ds = DATASETS.build(dict(type='CelebAIdentities', data_root=str(celeba_like), pipeline=[]))
    # Train split: images 1,2,3,4,6,8 of identities 5,5,9,9,2,2; labels sorted by id string.
    assert len(ds) == 6 and ds.metainfo['classes'] == ('2', '5', '9')
    assert [ds.get_data_info(i)['gt_label'] for i in range(6)] == [1, 1, 2, 2, 0, 0]
    np.testing.assert_allclose(ds.get_data_info(0)['landmarks'], CELEBA_ALIGNED_MEAN_LANDMARKS)
    all_ds = CelebAIdentities(data_root=str(celeba_like), split='all', img_scale=0.5, pipeline=[])
    assert len(all_ds) == 8
    np.testing.assert_allclose(
        all_ds.get_data_info(0)['landmarks'], CELEBA_ALIGNED_MEAN_LANDMARKS * 0.5
    )
    test_ds = CelebAIdentities(
        data_root=str(celeba_like), split='test', landmarks=None, pipeline=[]
    )
    assert len(test_ds) == 1 and 'landmarks' not in test_ds.get_data_info(0)


def test_celeba_missing_images(celeba_like):
    (celeba_like / 'img_align_celeba' / '000003.jpg').unlink()
    with pytest.raises(
        FileNotFoundError, match=r'000003.jpg \(listed in .*identity_CelebA.txt, line 3\)'
    ):
        CelebAIdentities(data_root=str(celeba_like), pipeline=[])
    ds = CelebAIdentities(
        data_root=str(celeba_like), skip_missing_images=True, min_images_per_identity=2, pipeline=[]
    )
    assert ds.metainfo['classes'] == ('2', '5') and len(ds) == 4


def test_celeba_malformed_lines(celeba_like):
    with open(celeba_like / 'identity_CelebA.txt', 'a') as f:
        f.write('000009.jpg\r\n')
    with pytest.raises(
        AnnotationError, match=r'identity_CelebA.txt, line 9: expected "image identity"'
    ):
        CelebAIdentities(data_root=str(celeba_like), split='all', pipeline=[])
    (celeba_like / 'list_eval_partition.txt').write_text('000001.jpg 7\n')
    with pytest.raises(AnnotationError, match=r'list_eval_partition.txt, line 1'):
        CelebAIdentities(data_root=str(celeba_like), pipeline=[])
    with pytest.raises(ValueError, match='split'):
        CelebAIdentities(data_root=str(celeba_like), split='dev', pipeline=[])


@pytest.mark.real_data
def test_real_celeba_subset(data_root):
    ds = CelebAIdentities(
        data_root=str(data_root / 'celeba'),
        data_prefix='img_align_celeba_89x109',
        skip_missing_images=True,
        min_images_per_identity=2,
        img_scale=0.5,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='AlignFace'),
            dict(type='PackFaceInputs'),
        ],
    )
    assert len(ds) == 7180 and ds.metainfo['num_classes'] == 2760
    assert ds[0]['inputs'].shape == (3, 112, 112)
