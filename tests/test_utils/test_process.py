"""Stopping on SIGTERM/SIGINT, ending child processes, workers that die with their parent."""

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import psutil
import pytest
import torch
from torch.utils.data import DataLoader

from facerec.utils import workers_die_with_parent
from facerec.utils.process import die_with_parent

FORK = multiprocessing.get_context('fork')


REPO = Path(__file__).resolve().parents[2]

# Signals and the killing of child processes run in a fresh interpreter: the test process has
# threads and children of its own (other tests' DataLoader workers) that must not be touched.
SIGNAL_SCRIPT = """
import json, multiprocessing, os, signal, sys, time
from facerec.utils import exit_on_signals

signum = int(sys.argv[1])
fork = multiprocessing.get_context('fork')
bystander = fork.Process(target=time.sleep, args=(60,))  # started before: left alone
bystander.start()
previous = signal.getsignal(signum)
result = dict(unwound=False)
try:
    with exit_on_signals() as handler:
        child = fork.Process(target=time.sleep, args=(60,))
        child.start()
        try:
            os.kill(os.getpid(), signum)
            time.sleep(30)  # interrupted by the exception
        finally:
            result['unwound'] = True
except BaseException as exc:
    result.update(exception=type(exc).__name__, code=getattr(exc, 'code', None))
result.update(
    received=handler.received,
    child_ended=child.exitcode is not None and not child.is_alive(),
    bystander_alive=bystander.is_alive(),
    restored=signal.getsignal(signum) is previous,
)
bystander.terminate()
bystander.join()
print(json.dumps(result))
"""

STUBBORN_SCRIPT = """
import json, multiprocessing, signal, time
from facerec.utils import stop_child_processes

def stubborn():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(60)

fork = multiprocessing.get_context('fork')
kept = fork.Process(target=time.sleep, args=(60,))
kept.start()
child = fork.Process(target=stubborn)
child.start()
time.sleep(0.5)  # let it ignore SIGTERM first
stopped = stop_child_processes(timeout=0.5, keep=[kept.pid])
print(json.dumps(dict(
    stopped=stopped, child=child.pid, exitcode=child.exitcode, kept_alive=kept.is_alive()
)))
kept.terminate()
"""


def run_script(script, *args):
    proc = subprocess.run(
        [sys.executable, '-c', script, *map(str, args)],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


@pytest.mark.parametrize(
    'signum, exception, code',
    [(signal.SIGTERM, 'SystemExit', 143), (signal.SIGINT, 'KeyboardInterrupt', None)],
)
def test_signal_unwinds_and_stops_children(signum, exception, code):
    result, stderr = run_script(SIGNAL_SCRIPT, int(signum))
    assert result['unwound'] and result['received'] == signum
    assert result['exception'] == exception and result['code'] == code
    assert result['child_ended'] and result['bystander_alive'] and result['restored']
    assert f'Stopped by {signum.name}' in stderr


def test_stop_child_processes_kills_those_that_ignore_sigterm():
    result, _ = run_script(STUBBORN_SCRIPT)
    assert result['stopped'] == [result['child']]
    assert result['exitcode'] == -signal.SIGKILL and result['kept_alive']


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
