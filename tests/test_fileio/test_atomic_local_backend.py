import os

import pytest
from mmengine.fileio import get_file_backend

import facerec.fileio  # noqa: F401
from facerec.fileio import atomic_write


def test_backend_is_registered_and_writes(tmp_path):
    backend = get_file_backend(backend_args=dict(backend='atomic_local'))
    backend.put(b'abc', tmp_path / 'sub' / 'f.bin')
    backend.put_text('hello', tmp_path / 'sub' / 't.txt')
    assert (tmp_path / 'sub' / 'f.bin').read_bytes() == b'abc'
    assert (tmp_path / 'sub' / 't.txt').read_text() == 'hello'
    assert sorted(os.listdir(tmp_path / 'sub')) == ['f.bin', 't.txt']  # no temporary left


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / 'ckpt.pth'
    atomic_write(b'old', target)

    def broken_replace(src, dst):
        raise KeyboardInterrupt  # killed between writing and renaming

    monkeypatch.setattr(os, 'replace', broken_replace)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(b'new' * 1000, target)
    assert target.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['ckpt.pth']
