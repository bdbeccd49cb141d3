"""build_model / load_weights_only: a config's model with trained weights, read weights-only."""

import pickle

import pytest
import torch
from mmengine.logging import HistoryBuffer

from facerec.utils import build_model, load_weights_only

MODEL = dict(
    type='FaceRecognizer',
    backbone=dict(type='MobileFaceNet', widen_factor=0.25, embedding_size=16, input_size=32),
)


class Payload:
    """An object whose unpickling would run code: what a weights-only load refuses."""

    def __reduce__(self):
        return (print, ('unpickled',))


def test_loads_trained_weights_in_eval_mode(tmp_path):
    torch.manual_seed(0)
    source = build_model(dict(model=MODEL))
    for p in source.parameters():
        p.data.normal_()
    ckpt = tmp_path / 'm.pth'
    # What the runner saves: weights behind a DataParallel prefix, and logged scalars.
    state = {f'module.{k}': v for k, v in source.state_dict().items()}
    torch.save({'state_dict': state, 'message_hub': {'loss': HistoryBuffer([1.0], [1])}}, str(ckpt))
    model = build_model(dict(model=MODEL), str(ckpt))
    assert not model.training
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key


def test_refuses_pickled_code(tmp_path, capsys):
    ckpt = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': Payload()}, str(ckpt))
    model = build_model(dict(model=MODEL))
    with pytest.raises(pickle.UnpicklingError, match='evil.pth'):
        load_weights_only(model, str(ckpt))
    assert 'unpickled' not in capsys.readouterr().out


def test_names_the_file_of_weights_that_do_not_fit(tmp_path):
    ckpt = tmp_path / 'other.pth'
    torch.save({'state_dict': {'backbone.x': torch.zeros(1)}}, str(ckpt))
    with pytest.raises(RuntimeError, match='other.pth does not fit the model .*FaceRecognizer'):
        build_model(dict(model=MODEL), str(ckpt))
    with pytest.raises(FileNotFoundError, match='none.pth'):
        build_model(dict(model=MODEL), str(tmp_path / 'none.pth'))
