import pickle

import pytest
import torch
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader, Dataset

from facerec.datasets import SamplesByValue, face_collate
from facerec.engine.runners import FaceRunner
from facerec.models.data_preprocessors import FaceDataPreprocessor
from facerec.structures import FaceDataSample


def _sample(i: int, size=(3, 8, 8)) -> dict:
    sample = FaceDataSample(metainfo=dict(img_path=f'img{i}.jpg'))
    sample.set_gt_label(i)
    sample.teacher_inputs = torch.full(size, i, dtype=torch.uint8)
    return dict(inputs=torch.full(size, i, dtype=torch.uint8), data_samples=sample)


class _Samples(Dataset):
    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict:
        return _sample(i)


def test_equal_images_are_stacked_and_preprocess_like_the_list():
    batch = [_sample(i) for i in range(4)]
    stacked = face_collate(batch)
    listed = pseudo_collate(batch)
    assert stacked['inputs'].shape == (4, 3, 8, 8)
    assert isinstance(stacked['data_samples'], list)  # no wrapper outside workers
    pre = FaceDataPreprocessor()
    a = pre(stacked, False)['inputs']
    b = pre(listed, False)['inputs']
    torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_images_of_different_shapes_stay_a_list():
    batch = [_sample(0), _sample(1, size=(3, 8, 9))]
    assert isinstance(face_collate(batch)['inputs'], list)


def test_samples_pickle_by_value_and_come_back_as_the_list():
    samples = [_sample(i)['data_samples'] for i in range(3)]
    big = torch.zeros(2 << 20, dtype=torch.uint8)  # over the by-value limit: pickled normally
    samples[0].big = big
    restored = pickle.loads(pickle.dumps(SamplesByValue(samples)))
    assert isinstance(restored, list) and len(restored) == 3
    for i, sample in enumerate(restored):
        assert int(sample.gt_label) == i
        assert sample.img_path == f'img{i}.jpg'
        torch.testing.assert_close(sample.teacher_inputs, samples[i].teacher_inputs)
    assert torch.equal(restored[0].big, big)


@pytest.mark.parametrize('num_workers', [0, 2])
def test_runner_dataloaders_collate_with_face_collate(num_workers):
    cfg = dict(
        dataset=_Samples(6),
        batch_size=3,
        num_workers=num_workers,
        sampler=dict(type='DefaultSampler', shuffle=False),
    )
    loader = FaceRunner.build_dataloader(cfg, seed=0)
    assert isinstance(loader, DataLoader)
    batches = list(loader)
    assert [b['inputs'].shape for b in batches] == [(3, 3, 8, 8)] * 2
    labels = [int(s.gt_label) for b in batches for s in b['data_samples']]
    assert labels == list(range(6))
    assert all(isinstance(b['data_samples'], list) for b in batches)
    # A config's own collate_fn is kept.
    cfg['collate_fn'] = dict(type='pseudo_collate')
    assert isinstance(next(iter(FaceRunner.build_dataloader(cfg, seed=0)))['inputs'], list)
