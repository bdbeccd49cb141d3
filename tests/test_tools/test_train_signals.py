"""Stopping tools/train.py with a signal ends it and its DataLoader workers, keeping checkpoints."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import psutil
import pytest
from mmengine.config import Config

from facerec.engine.runners import latest_checkpoint, load_local_checkpoint

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture
def many_faces(tmp_path, face_image) -> Path:
    """``root/<identity>/<image>``: 4 identities x 128 images of 48x48."""
    rng = np.random.default_rng(2)
    root = tmp_path / 'many'
    for i in range(4):
        (root / f'id{i}').mkdir(parents=True)
        for n in range(128):
            img, _ = face_image(rng, size=48, identity=i)
            cv2.imwrite(str(root / f'id{i}' / f'{n}.jpg'), img)
    return root


@pytest.fixture
def endless_cfg_file(lfw_like, many_faces, tmp_path, make_tiny_config):
    """The tiny config training for ever with 2 persistent DataLoader workers.

    Batches of 32 with 8 prefetched per worker fill the pipe the workers send them
    through, so a worker whose parent is gone blocks on it.
    """
    cfg = make_tiny_config(lfw_like, many_faces, tmp_path / 'work', max_epochs=10000)
    cfg['train_cfg']['val_interval'] = 10000
    cfg['train_dataloader'].update(
        batch_size=32, num_workers=2, persistent_workers=True, prefetch_factor=8
    )
    cfg['env_cfg']['mp_cfg'] = dict(mp_start_method='fork', opencv_num_threads=0)
    path = tmp_path / 'endless.py'
    Config(cfg).dump(str(path))
    return path


def start_training(cfg_file: Path, work: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1')
    with open(work.parent / 'train.log', 'w') as log:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, 'tools/train.py', str(cfg_file), '--work-dir', str(work)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_for_workers(proc: subprocess.Popen, work: Path, timeout: float = 300) -> list:
    """Wait until the first checkpoint is written; return the live child processes."""
    deadline = time.monotonic() + timeout
    while not (work / 'epoch_1.pth').is_file():
        if proc.poll() is not None:
            pytest.fail(f'training ended with code {proc.returncode}: {read_log(work)}')
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f'no checkpoint after {timeout} s: {read_log(work)}')
        time.sleep(0.2)
    workers = psutil.Process(proc.pid).children(recursive=True)
    assert len(workers) == 2, workers
    return workers


def read_log(work: Path) -> str:
    return (work.parent / 'train.log').read_text()[-5000:]


def alive(procs: list) -> list:
    """The processes still running (a zombie has ended)."""
    running = []
    for p in procs:
        try:
            if p.status() != psutil.STATUS_ZOMBIE:
                running.append(p)
        except psutil.NoSuchProcess:
            pass
    return running


def wait_gone(procs: list, timeout: float) -> list:
    """Wait up to ``timeout`` seconds for ``procs`` to end; return those still running."""
    deadline = time.monotonic() + timeout
    while alive(procs) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(procs)


def stop_leftovers(proc: subprocess.Popen, workers: list) -> None:
    for p in alive(workers):
        p.kill()
    if proc.poll() is None:
        proc.kill()
    proc.wait()


@pytest.mark.parametrize('signum', [signal.SIGTERM, signal.SIGINT])
def test_signal_ends_trainer_and_workers(endless_cfg_file, tmp_path, signum):
    work = tmp_path / 'work'
    proc = start_training(endless_cfg_file, work)
    workers = []
    try:
        workers = wait_for_workers(proc, work)
        proc.send_signal(signum)
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail(f'training still running 10 s after {signum.name}: {read_log(work)}')
        assert code != 0
        left = wait_gone(workers, timeout=10)
        assert not left, f'workers outlived the trainer: {left}'
    finally:
        stop_leftovers(proc, workers)
    out = (work.parent / 'train.log').read_text()
    assert f'Stopped by {signum.name}' in out, out[-5000:]
    assert not list(work.rglob('*.tmp')), list(work.rglob('*.tmp'))
    ckpt = load_local_checkpoint(latest_checkpoint(str(work)), map_location='cpu')
    assert 'backbone.stem.0.0.weight' in ckpt['state_dict']
    assert ckpt['meta']['epoch'] >= 1


def test_workers_die_with_a_killed_trainer(endless_cfg_file, tmp_path):
    work = tmp_path / 'work'
    proc = start_training(endless_cfg_file, work)
    workers = []
    try:
        workers = wait_for_workers(proc, work)
        proc.kill()
        proc.wait(timeout=10)
        left = wait_gone(workers, timeout=10)
        assert not left, f'workers outlived the killed trainer: {left}'
    finally:
        stop_leftovers(proc, workers)
