"""Stopping on SIGTERM/SIGINT, ending child processes, workers that die with their parent."""

import multiprocessing
import os
import signal
import time
from functools import partial

import psutil
import pytest
import torch
from torch.utils.data import DataLoader

from facerec.utils import exit_on_signals, stop_child_processes, workers_die_with_parent
from facerec.utils.process import die_with_parent

FORK = multiprocessing.get_context('fork')


@pytest.mark.parametrize(
    'signum, exception, code',
    [(signal.SIGTERM, SystemExit, 143), (signal.SIGINT, KeyboardInterrupt, None)],
)
def test_signal_unwinds_and_stops_children(signum, exception, code, capfd):
    previous = signal.getsignal(signum)
    unwound = []
    with pytest.raises(exception) as info:
        with exit_on_signals() as handler:
            child = FORK.Process(target=time.sleep, args=(60,))
            child.start()
            try:
                os.kill(os.getpid(), signum)
                time.sleep(30)  # interrupted by the exception
            finally:
                unwound.append(True)
    assert unwound and handler.received == signum
    assert code is None or info.value.code == code
    assert child.exitcode is not None and not child.is_alive()
    assert signal.getsignal(signum) is previous
    assert f'Stopped by {signum.name}' in capfd.readouterr().err


def test_stop_child_processes_kills_those_that_ignore_sigterm():
    def stubborn():
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(60)

    child = FORK.Process(target=stubborn)
    child.start()
    time.sleep(0.5)  # let it ignore SIGTERM first
    assert stop_child_processes(timeout=0.5) == [child.pid]
    assert child.exitcode == -signal.SIGKILL


def _grandchild(queue):
    die_with_parent(os.getppid())
    queue.put(os.getpid())
    time.sleep(60)


def _middle(queue):
    FORK.Process(target=_grandchild, args=(queue,)).start()
    time.sleep(60)


def test_die_with_parent_ends_a_process_whose_parent_is_killed():
    queue = FORK.Queue()
    middle = FORK.Process(target=_middle, args=(queue,))
    middle.start()
    grandchild = psutil.Process(queue.get(timeout=60))
    middle.kill()
    middle.join()
    deadline = time.monotonic() + 10
    while grandchild.is_running() and grandchild.status() != psutil.STATUS_ZOMBIE:
        if time.monotonic() > deadline:
            grandchild.kill()
            pytest.fail('the process outlived its killed parent')
        time.sleep(0.05)


class _Squares(torch.utils.data.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return i * i


def _record_worker(worker_id, path):
    with open(path, 'a') as f:
        f.write(f'{worker_id} {os.getppid()}\n')


def test_workers_die_with_parent_keeps_the_init_fn(tmp_path):
    init = workers_die_with_parent(partial(_record_worker, path=str(tmp_path / 'init.txt')))
    assert workers_die_with_parent(init) is init  # wrapping twice changes nothing
    loader = DataLoader(
        _Squares(), num_workers=2, worker_init_fn=init, multiprocessing_context='fork'
    )
    assert [int(x) for batch in loader for x in batch] == [0, 1, 4, 9]
    lines = sorted((tmp_path / 'init.txt').read_text().splitlines())
    assert lines == [f'0 {os.getpid()}', f'1 {os.getpid()}']
