import os
import pickle

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from facerec.engine.runners import trusted_checkpoint_loading


class _RunsCommand:
    """An object whose unpickling would run a shell command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


class Opaque:
    """A plain user class: data, but not a type weights-only loading knows."""

    def __init__(self, value):
        self.value = value


class _ReachesAttribute:
    """An object that unpickles to getattr(HistoryBuffer, '__init__')."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__init__'))


def test_untrusted_checkpoint_with_code_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'meta': _RunsCommand(marker)}, path)
    refused = (
        r'Refusing to load checkpoint .*evil\.pth: it holds (posix|nt)\.system, .*--unsafe-resume'
    )
    with pytest.raises(pickle.UnpicklingError, match=refused):
        _load_checkpoint(str(path), map_location='cpu')
    assert not marker.exists()


def test_getattr_is_restricted_to_history_buffer_statistics(tmp_path):
    path = tmp_path / 'sneaky.pth'
    torch.save({'state_dict': {}, 'x': _ReachesAttribute()}, path)
    with pytest.raises(
        pickle.UnpicklingError, match=r"sneaky\.pth: it holds getattr\(.*'__init__'\)"
    ):
        _load_checkpoint(str(path), map_location='cpu')


def test_weights_only_loads_mmengine_state(tmp_path):
    buf = HistoryBuffer()
    for v in (1.0, 2.0, 4.0):
        buf.update(v)
    path = tmp_path / 'ok.pth'
    ckpt = {'state_dict': {'w': torch.arange(3.0)}, 'message_hub': {'log_scalars': {'loss': buf}}}
    torch.save(ckpt, path)
    loaded = _load_checkpoint(str(path), map_location='cpu')
    assert torch.equal(loaded['state_dict']['w'], torch.arange(3.0))
    assert loaded['message_hub']['log_scalars']['loss'].mean() == pytest.approx(7 / 3)


def test_trusted_loading_restores_full_state(tmp_path):
    path = tmp_path / 'full.pth'
    torch.save({'state_dict': {}, 'extra': Opaque(3)}, path)
    with pytest.raises(pickle.UnpicklingError):
        _load_checkpoint(str(path), map_location='cpu')
    with trusted_checkpoint_loading():
        assert _load_checkpoint(str(path), map_location='cpu')['extra'].value == 3
    with pytest.raises(pickle.UnpicklingError):  # the trust ends with the context
        _load_checkpoint(str(path), map_location='cpu')


def test_missing_and_corrupt_checkpoints(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        _load_checkpoint(str(tmp_path / 'nope.pth'), map_location='cpu')
    bad = tmp_path / 'bad.pth'
    bad.write_bytes(b'\x00garbage')
    with pytest.raises((RuntimeError, pickle.UnpicklingError), match='bad.pth'):
        _load_checkpoint(str(bad), map_location='cpu')
    # Text is read by the unpickler as opcodes and fails with a KeyError inside it.
    text = tmp_path / 'text.pth'
    text.write_text('hello')
    with pytest.raises(RuntimeError, match=r'text\.pth: not a torch checkpoint \(KeyError'):
        _load_checkpoint(str(text), map_location='cpu')
