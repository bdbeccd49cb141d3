"""Ending a training process and its DataLoader workers on SIGTERM, SIGINT or its death."""

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from functools import partial
from typing import Callable, Collection, Iterator, List, Optional

from .threads import limit_opencv_threads, limit_worker_threads, worker_threads_limited

#: Seconds a process stopped by a signal has to unwind before it is ended outright.
STOP_GRACE_S = 5.0
_PR_SET_PDEATHSIG = 1


class StopSignals:
    """The handler of SIGTERM and SIGINT installed by :func:`exit_on_signals`."""

    def __init__(self, grace: float = STOP_GRACE_S):
        self.grace = grace
        self.received: Optional[int] = None
        self._pid = os.getpid()
        self._timer: Optional[threading.Timer] = None

    def __call__(self, signum: int, frame) -> None:
        if os.getpid() != self._pid:  # a forked child inherited the handler: default behaviour
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        if self.received is not None:  # a second signal: stop now
            force_exit(signum)
        self.received = signum
        self._timer = threading.Timer(self.grace, force_exit, (signum,))
        self._timer.daemon = True
        self._timer.start()
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)

    def cancel(self) -> None:
        """Stop the countdown to :func:`force_exit` (the code inside has unwound)."""
        if self._timer is not None:
            self._timer.cancel()


def force_exit(signum: int) -> None:
    """Kill the child processes and end this process at once with ``128 + signum``."""
    name = signal.Signals(signum).name
    os.write(2, f'Stopped by {name}: the process did not unwind in time, exiting\n'.encode())
    stop_child_processes(timeout=1.0)
    os._exit(128 + signum)


@contextlib.contextmanager
def exit_on_signals(grace: float = STOP_GRACE_S) -> Iterator[StopSignals]:
    """Make SIGTERM and SIGINT unwind the code inside, then end the child processes.

    In the main thread, SIGINT raises ``KeyboardInterrupt`` and SIGTERM
    ``SystemExit(143)``, so ``finally`` blocks and context managers run (an
    interrupted atomic checkpoint write removes its temporary file) instead of
    the process vanishing and leaving its DataLoader workers behind. Both are
    handled even where the parent shell ignores SIGINT. The exception comes
    when the interpreter next runs Python code (after the current C call, such
    as a backward pass). If the code inside has not unwound ``grace`` seconds
    later (an exception swallowed on the way), or a second signal comes, the
    process ends at once. On leaving, the child processes that
    ``multiprocessing`` started inside (DataLoader workers, persistent ones
    included) are terminated; children that existed before are left alone.

    Args:
        grace: Seconds to unwind before the process is ended outright.

    Yields:
        The handler; its ``received`` is the signal number once one arrived.
    """
    handler = StopSignals(grace)
    existing = {child.pid for child in multiprocessing.active_children()}
    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield handler
    finally:
        handler.cancel()
        try:
            stop_child_processes(keep=existing)
            if handler.received is not None:
                name = signal.Signals(handler.received).name
                print(f'Stopped by {name}', file=sys.stderr)
        finally:
            for signum, old in previous.items():
                signal.signal(signum, old)


def stop_child_processes(timeout: float = 3.0, keep: Collection[int] = ()) -> List[int]:
    """Terminate the live child processes of ``multiprocessing`` (such as DataLoader workers).

    Those still alive after ``timeout`` seconds are killed.

    Args:
        timeout: Seconds the children have to end after SIGTERM.
        keep: Pids of children to leave running.

    Returns:
        The pids of the processes stopped.
    """
    children = [c for c in multiprocessing.active_children() if c.pid not in keep]
    if not children:
        return []
    # torch's SIGCHLD handler raises when a DataLoader worker ends by a signal.
    in_main = threading.current_thread() is threading.main_thread()
    old_chld = signal.signal(signal.SIGCHLD, signal.SIG_DFL) if in_main else None
    try:
        for child in children:
            child.terminate()
        deadline = time.monotonic() + timeout
        for child in children:
            child.join(max(0.0, deadline - time.monotonic()))
            if child.is_alive():
                child.kill()
                child.join(1.0)
    finally:
        if old_chld is not None:
            signal.signal(signal.SIGCHLD, old_chld)
    return [c.pid for c in children]


def die_with_parent(parent_pid: int) -> None:
    """Have Linux kill this process (SIGKILL) when its parent ``parent_pid`` ends.

    Does nothing on other systems, or when the parent is another process (a
    forkserver): those rely on the DataLoader's own watchdog.
    """
    if not sys.platform.startswith('linux') or os.getppid() != parent_pid:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return
    if os.getppid() != parent_pid:  # the parent ended before prctl
        os._exit(1)


def _init_worker(
    worker_id: int, parent_pid: int, init_fn: Optional[Callable], limit_threads: bool = False
) -> None:
    die_with_parent(parent_pid)
    if limit_threads:
        limit_worker_threads(worker_id)
    if init_fn is not None:
        init_fn(worker_id)


def workers_die_with_parent(init_fn: Optional[Callable] = None) -> Callable[[int], None]:
    """A DataLoader ``worker_init_fn`` running ``init_fn`` in workers that die with this process.

    A worker whose main process is killed (SIGKILL, OOM killer) otherwise
    notices it only when idle, and one blocked sending a batch through the
    full pipe its siblings keep open stays for ever. Unless
    ``env_cfg.cpu_threads=0`` asked for the libraries' defaults
    (:func:`facerec.utils.threads.worker_threads_limited`), each worker also
    gets one torch and one OpenCV thread.
    """
    if isinstance(init_fn, partial) and init_fn.func is _init_worker:
        return init_fn
    limit_threads = worker_threads_limited()
    if limit_threads:
        limit_opencv_threads()  # inherited by forked workers (see limit_worker_threads)
    return partial(
        _init_worker,
        parent_pid=os.getpid(),
        init_fn=init_fn,
        limit_threads=limit_threads,
    )
