import multiprocessing
import os

import pytest
from mmengine.fileio import get_file_backend

import facerec.fileio  # noqa: F401
from facerec.fileio import atomic_write, remove_stale_temp_files
from facerec.fileio.atomic_local_backend import TEMP_NAME


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


def _killed_while_writing(target):
    def killed(src, dst):
        os._exit(3)  # the process dies between writing and renaming, running no cleanup

    os.replace = killed
    atomic_write(b'new' * 1000, target)


def test_temp_files_of_killed_writes_are_removed(tmp_path):
    target = tmp_path / 'epoch_2.pth'
    atomic_write(b'old', target)
    child = multiprocessing.get_context('fork').Process(
        target=_killed_while_writing, args=(target,)
    )
    child.start()
    child.join(60)
    assert child.exitcode == 3
    left = [n for n in os.listdir(tmp_path) if n != 'epoch_2.pth']
    assert len(left) == 1 and TEMP_NAME.fullmatch(left[0]), left
    assert target.read_bytes() == b'old'
    others = ['.notes.tmp', 'epoch_1.pth.tmp', '.epoch_1.pth.abc.tmp', '.epoch_1.pth.ABCDEFGH.tmp']
    for name in others:
        (tmp_path / name).write_bytes(b'x')
    (tmp_path / '.sub.abcdefgh.tmp').mkdir()

    assert remove_stale_temp_files(tmp_path) == [str(tmp_path / left[0])]
    assert sorted(os.listdir(tmp_path)) == sorted([*others, '.sub.abcdefgh.tmp', 'epoch_2.pth'])
    assert remove_stale_temp_files(tmp_path / 'missing') == []
