"""Checkpoint loading: weights-only for untrusted files, full state for resuming.

torch >= 2.6 loads with ``weights_only=True``. A checkpoint given to
``load_from`` or ``tools/test.py`` is untrusted input, so it stays weights-only:
tensors, containers and plain values, plus the few data-only classes that
mmengine writes into every checkpoint (its ``HistoryBuffer`` of logged
scalars and the numpy arrays inside). Resuming a run's own checkpoint, which
holds the full optimiser and scheduler state, loads everything; it is done
only inside :func:`trusted_checkpoint_loading`.
"""

import contextlib
import contextvars
import os.path as osp
import pickle
from typing import Iterator, List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

_TRUSTED = contextvars.ContextVar('facerec_trusted_checkpoint', default=False)


def _numpy_safe_globals() -> List:
    """The numpy reconstruction helpers needed to unpickle plain arrays and scalars."""
    core = np._core if hasattr(np, '_core') else np.core
    items = [core.multiarray._reconstruct, core.multiarray.scalar, np.ndarray, np.dtype]
    items += [type(np.dtype(t)) for t in ('f2', 'f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', '?')]
    return items


_HISTORY_BUFFER_STATISTICS = frozenset({'min', 'max', 'mean', 'current'})


def _history_buffer_getattr(obj, name: str):
    """``getattr`` restricted to the statistics methods of :class:`HistoryBuffer`.

    mmengine pickles a HistoryBuffer's statistics methods as
    ``getattr(HistoryBuffer, 'mean')``; any other use of ``getattr`` inside a
    checkpoint is refused.
    """
    if obj is HistoryBuffer and name in _HISTORY_BUFFER_STATISTICS:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'getattr({obj!r}, {name!r}) is not allowed in a weights-only checkpoint'
    )


def safe_checkpoint_globals() -> List:
    """Classes and functions a weights-only load of an mmengine checkpoint may build."""
    return [
        HistoryBuffer,
        (_history_buffer_getattr, 'builtins.getattr'),
        (_history_buffer_getattr, '__builtin__.getattr'),
        *_numpy_safe_globals(),
    ]


@contextlib.contextmanager
def trusted_checkpoint_loading() -> Iterator[None]:
    """Within this context, local checkpoints load with their full pickled state."""
    token = _TRUSTED.set(True)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


def load_local_checkpoint(filename: str, map_location=None) -> dict:
    """Load a local checkpoint, weights-only unless loading is trusted.

    Raises:
        FileNotFoundError: No such file.
        pickle.UnpicklingError: The file holds objects a weights-only load
            refuses (the message names the file and the object).
        RuntimeError: The file is not a torch checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint file not found: {filename}')
    if _TRUSTED.get():
        return torch.load(filename, map_location=map_location, weights_only=False)
    try:
        with torch.serialization.safe_globals(safe_checkpoint_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else repr(e)
        raise pickle.UnpicklingError(
            f'Refusing to load checkpoint {filename}: it holds objects that weights-only '
            f'loading does not allow ({first}). Checkpoints for testing and `load_from` are '
            'loaded weights-only; only resuming a run (--resume) loads the full state.'
        ) from None
    except (RuntimeError, EOFError) as e:
        raise RuntimeError(f'Cannot read checkpoint {filename}: {e}') from e


CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
