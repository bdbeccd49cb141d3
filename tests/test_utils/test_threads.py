"""CPU thread defaults: intra-op threads, DataLoader worker threads, OpenMP wait policy."""

import argparse
import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
import torch
from mmengine.config import Config
from torch.utils.data import DataLoader, Dataset

from facerec.utils import threads, workers_die_with_parent
from facerec.utils.threads import (
    add_cpu_threads_arg,
    apply_cpu_threads_arg,
    available_cpus,
    resolve_cpu_threads,
    set_cpu_threads,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def restore_threads():
    torch_threads, cv2_threads = torch.get_num_threads(), cv2.getNumThreads()
    yield
    torch.set_num_threads(torch_threads)
    cv2.setNumThreads(cv2_threads)
    threads._limit_workers = True


def test_available_cpus_follows_the_affinity_mask():
    assert available_cpus() == len(os.sched_getaffinity(0))


def test_resolve_cpu_threads(monkeypatch):
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    assert resolve_cpu_threads(None) == len(os.sched_getaffinity(0))
    monkeypatch.setenv('OMP_NUM_THREADS', '3')
    assert resolve_cpu_threads(None) == 3  # the user's choice
    monkeypatch.setenv('OMP_NUM_THREADS', 'x')
    assert resolve_cpu_threads(None) == len(os.sched_getaffinity(0))
    assert resolve_cpu_threads(3) == 3
    assert resolve_cpu_threads(0) == 0
    for bad in (-1, 1.5, '2', True):
        with pytest.raises(ValueError, match='env_cfg.cpu_threads'):
            resolve_cpu_threads(bad)


def test_set_cpu_threads(restore_threads, monkeypatch):
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    assert set_cpu_threads(1) == 1 and torch.get_num_threads() == 1
    assert threads.worker_threads_limited()
    assert set_cpu_threads(None) == len(os.sched_getaffinity(0))
    torch.set_num_threads(3)
    assert set_cpu_threads(0) == 3  # the libraries' defaults: left alone
    assert not threads.worker_threads_limited()


class _WorkerThreads(Dataset):
    def __len__(self) -> int:
        return 2

    def __getitem__(self, i: int):
        return torch.tensor([torch.get_num_threads(), cv2.getNumThreads()])


def _worker_threads() -> set:
    loader = DataLoader(
        _WorkerThreads(), batch_size=1, num_workers=1, worker_init_fn=workers_die_with_parent()
    )
    return {tuple(b[0].tolist()) for b in loader}


def test_dataloader_workers_get_one_torch_and_one_opencv_thread(restore_threads):
    cv2.setNumThreads(4)  # what a forked worker would otherwise inherit
    set_cpu_threads(None)
    assert _worker_threads() == {(1, 1)}


def test_library_defaults_leave_worker_opencv_threads(restore_threads):
    cv2.setNumThreads(4)
    set_cpu_threads(0)
    # torch's DataLoader gives workers one thread itself; OpenCV keeps what it inherited.
    assert _worker_threads() == {(1, 4)}


def test_cpu_threads_argument_sets_the_config_key():
    parser = add_cpu_threads_arg(argparse.ArgumentParser())
    cfg = Config(dict(env_cfg=dict(cudnn_benchmark=False)))
    apply_cpu_threads_arg(cfg, parser.parse_args([]).cpu_threads)
    assert 'cpu_threads' not in cfg.env_cfg
    apply_cpu_threads_arg(cfg, parser.parse_args(['--cpu-threads', '1']).cpu_threads)
    assert cfg.env_cfg.cpu_threads == 1
    cfg = Config(dict())
    apply_cpu_threads_arg(cfg, 0)
    assert cfg.env_cfg.cpu_threads == 0
    with pytest.raises(ValueError, match='cpu_threads'):
        apply_cpu_threads_arg(cfg, -2)


def _policy_in_fresh_process(code: str, preset=None) -> list:
    env = {k: v for k, v in os.environ.items() if k != 'OMP_WAIT_POLICY'}
    env['PYTHONPATH'] = str(REPO)
    if preset:
        env['OMP_WAIT_POLICY'] = preset
    proc = subprocess.run(
        [sys.executable, '-c', code], env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout.split()


@pytest.mark.parametrize('preset', [None, 'ACTIVE', 'passive'])
def test_passive_openmp_is_the_default_policy(preset):
    code = (
        'import os\n'
        'from facerec.utils.threads import prefer_passive_openmp\n'
        'print(prefer_passive_openmp(), os.environ["OMP_WAIT_POLICY"])\n'
    )
    expected = {None: 'PASSIVE', 'ACTIVE': 'ACTIVE', 'passive': 'passive'}[preset]
    assert _policy_in_fresh_process(code, preset) == [str(expected != 'ACTIVE'), expected]


def test_passive_openmp_after_torch_restarts_the_program():
    # The first run imports torch before asking: it is started again with the variable set,
    # which its second run reads from the environment it started with.
    code = (
        'import os, torch\n'
        'inherited = os.environ.get("OMP_WAIT_POLICY")\n'
        'from facerec.utils.threads import prefer_passive_openmp\n'
        'print(inherited, prefer_passive_openmp(reexec=True))\n'
    )
    assert _policy_in_fresh_process(code) == ['PASSIVE', 'True']
    no_restart = code.replace('reexec=True', 'reexec=False')
    assert _policy_in_fresh_process(no_restart) == ['None', 'False']
