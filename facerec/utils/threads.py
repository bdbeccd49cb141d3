"""CPU thread defaults that keep training and testing near their share of a busy machine.

Three things make a PyTorch job on a shared CPU much slower than its fair share:

- OpenMP threads that spin while they wait at a barrier burn CPU that the
  thread everyone waits for (descheduled by another process) needs;
  ``OMP_WAIT_POLICY=PASSIVE`` makes them sleep instead. OpenMP reads it
  when it is loaded, i.e. when ``torch`` is imported, so the tools call
  :func:`prefer_passive_openmp` first (which restarts them if torch came first).
- More intra-op threads than CPUs the process may run on
  (:func:`available_cpus`, which follows ``taskset`` and cgroup cpusets).
- DataLoader workers that each start their own pools of torch and OpenCV
  threads; :func:`limit_worker_threads` gives each one torch thread and
  :func:`limit_opencv_threads` one OpenCV thread (set before they are forked).

``env_cfg.cpu_threads`` (``tools/train.py`` / ``tools/test.py --cpu-threads``)
chooses the trainer's intra-op threads: unset or ``None`` for ``$OMP_NUM_THREADS``
where it is set, else :func:`available_cpus`; a positive number for that many; ``0``
to leave torch, OpenMP and OpenCV at their own defaults (the workers included).
"""

import argparse
import os
import sys
from typing import Optional

#: The value of ``env_cfg.cpu_threads`` that leaves every thread setting at its library default.
LIBRARY_DEFAULTS = 0

_limit_workers = True  # set by set_cpu_threads


def available_cpus() -> int:
    """The number of CPUs this process may run on (its affinity mask), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def prefer_passive_openmp(reexec: bool = False) -> bool:
    """Set ``OMP_WAIT_POLICY=PASSIVE`` unless the environment already chooses a policy.

    OpenMP reads the variable when it is loaded, i.e. when ``torch`` is
    imported: call this first thing in a command-line tool. Where torch is
    imported already, ``reexec=True`` starts the program again in this
    process (``os.execv``, same arguments) with the variable set; otherwise
    the setting only reaches child processes started later.

    Args:
        reexec: Restart the program if torch was imported before the call.

    Returns:
        Whether OpenMP in this process waits passively.
    """
    policy = os.environ.get('OMP_WAIT_POLICY')
    if policy is not None:
        return policy.upper() == 'PASSIVE'
    os.environ['OMP_WAIT_POLICY'] = 'PASSIVE'
    if 'torch' not in sys.modules:
        return True
    if reexec:
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
    return False


def resolve_cpu_threads(cpu_threads: Optional[int] = None) -> int:
    """The intra-op thread count ``env_cfg.cpu_threads`` asks for (0: library defaults).

    ``None`` means ``$OMP_NUM_THREADS`` where it is set (a choice the user made),
    else :func:`available_cpus`.

    Raises:
        ValueError: ``cpu_threads`` is not ``None`` or a non-negative integer.
    """
    if cpu_threads is None:
        env = os.environ.get('OMP_NUM_THREADS', '').strip()
        return int(env) if env.isdigit() and int(env) > 0 else available_cpus()
    if isinstance(cpu_threads, bool) or not isinstance(cpu_threads, int) or cpu_threads < 0:
        raise ValueError(
            f'env_cfg.cpu_threads must be None (the CPUs this process may use), a positive '
            f"number of threads or 0 (the libraries' defaults), not {cpu_threads!r}"
        )
    return cpu_threads


def set_cpu_threads(cpu_threads: Optional[int] = None) -> int:
    """Give torch's intra-op pool the threads ``env_cfg.cpu_threads`` asks for.

    Args:
        cpu_threads: ``None`` for :func:`available_cpus`, a positive number of
            threads, or 0 to leave torch's default (and the threads of the
            DataLoader workers built afterwards).

    Returns:
        The number of intra-op threads torch now uses.
    """
    import torch

    global _limit_workers
    threads = resolve_cpu_threads(cpu_threads)
    _limit_workers = threads != LIBRARY_DEFAULTS
    if threads != LIBRARY_DEFAULTS:
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def limit_worker_threads(worker_id: int = 0) -> None:
    """A DataLoader ``worker_init_fn`` body: one torch thread in the worker.

    OpenCV is not touched here: reconfiguring its thread pool in a forked worker can
    deadlock on a lock held by a parent thread that does not exist in the child.
    :func:`limit_opencv_threads` sets it in the parent before the workers start.
    """
    import torch

    torch.set_num_threads(1)


def limit_opencv_threads() -> None:
    """One OpenCV thread in this process and in the DataLoader workers it forks later."""
    import cv2

    cv2.setNumThreads(1)


def worker_threads_limited() -> bool:
    """Whether DataLoader workers get one torch and one OpenCV thread (:func:`set_cpu_threads`)."""
    return _limit_workers


def add_cpu_threads_arg(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add ``--cpu-threads N`` (sets ``env_cfg.cpu_threads``) to a tool's arguments."""
    parser.add_argument(
        '--cpu-threads',
        type=int,
        metavar='N',
        help='intra-op CPU threads of the trainer/tester (default: env_cfg.cpu_threads, else '
        "the CPUs this process may use; 0: torch's, OpenMP's and OpenCV's own defaults)",
    )
    return parser


def apply_cpu_threads_arg(cfg, cpu_threads: Optional[int]) -> None:
    """Write ``--cpu-threads`` into ``cfg.env_cfg.cpu_threads`` (nothing when not given)."""
    if cpu_threads is None:
        return
    resolve_cpu_threads(cpu_threads)  # checks the value
    if cfg.get('env_cfg') is None:
        cfg.env_cfg = dict()
    cfg.env_cfg['cpu_threads'] = cpu_threads
