"""Checkpoint loading: weights-only, for testing, ``load_from`` and resuming alike.

torch >= 2.6 loads with ``weights_only=True``. Every checkpoint is untrusted input, so it is
loaded weights-only: tensors, containers and plain values (torch allows ``OrderedDict`` and
``Counter``, which the step schedulers hold), plus the few data-only classes that mmengine
writes into every checkpoint (its ``HistoryBuffer`` of logged scalars and the numpy arrays and
scalars inside). That is all a checkpoint of this project's runner holds: weights, optimiser
and scheduler state, message hub and meta. A checkpoint holding anything else is refused with
the file and the object named; ``tools/train.py --unsafe-resume`` loads one the user trusts
with full unpickling, inside :func:`trusted_checkpoint_loading`.
"""

import contextlib
import contextvars
import os.path as osp
import pickle
import re
from collections import OrderedDict
from typing import Any, Iterator, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader, load_state_dict

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
    raise pickle.UnpicklingError(f'getattr({obj!r}, {name!r})')


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


def _weights_only_reason(error: Exception) -> str:
    """What a weights-only load refused (a global such as ``exec``), from torch's message."""
    text = str(error)
    found = re.search(r'GLOBAL (\S+)', text)
    if found:
        return found.group(1)
    tail = text.split('WeightsUnpickler error:', 1)[-1].splitlines()
    lines = [line.strip() for line in tail if line.strip()]
    return lines[0] if lines else type(error).__name__


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
    try:
        if _TRUSTED.get():
            return torch.load(filename, map_location=map_location, weights_only=False)
        with torch.serialization.safe_globals(safe_checkpoint_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        reason = _weights_only_reason(e)
        if _TRUSTED.get() or reason.startswith('Unsupported operand'):
            raise RuntimeError(
                f'Cannot read checkpoint {filename}: not a torch checkpoint ({reason})'
            ) from e
        raise pickle.UnpicklingError(
            f'Refusing to load checkpoint {filename}: it holds {reason}, which weights-only '
            'loading does not allow (checkpoints may hold tensors, plain data and '
            "mmengine's logged-scalar buffers only). To resume from a checkpoint you trust, "
            'pass --unsafe-resume to tools/train.py.'
        ) from None
    except Exception as e:  # the unpickler fails on junk with any kind of error
        raise RuntimeError(
            f'Cannot read checkpoint {filename}: not a torch checkpoint ({type(e).__name__}: {e})'
        ) from e


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint that ``last_checkpoint`` in ``work_dir`` names, None without that file.

    Raises:
        ValueError: The file is empty.
        FileNotFoundError: It names a local file that does not exist.
    """
    record = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(record):
        return None
    with open(record, encoding='utf-8') as f:
        name = f.read().strip()
    if not name:
        raise ValueError(f'{record} is empty: it names no checkpoint to resume from')
    if '://' not in name and not osp.isfile(name):
        raise FileNotFoundError(f'Checkpoint file not found: {name} (named by {record})')
    return name


def checkpoint_state_dict(
    checkpoint, filename: str, revise_keys: Sequence[Tuple[str, str]] = ()
) -> Mapping[str, torch.Tensor]:
    """The weights of a loaded checkpoint (its ``state_dict``, or the dict itself), with the
    ``(pattern, replacement)`` key revisions applied and the module versions kept.

    Raises:
        TypeError: The file does not hold a dict.
        ValueError: The dict holds no tensors.
    """
    if not isinstance(checkpoint, Mapping):
        raise TypeError(
            f'Checkpoint {filename} holds a {type(checkpoint).__name__}, not a dict of weights'
        )
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, Mapping) or not any(
        isinstance(v, torch.Tensor) for v in state.values()
    ):
        keys = sorted(str(k) for k in checkpoint)[:8]
        raise ValueError(f'Checkpoint {filename} holds no weights (top-level keys: {keys})')
    metadata = getattr(state, '_metadata', OrderedDict())
    state = OrderedDict(state)
    for pattern, replacement in revise_keys:
        state = OrderedDict((re.sub(pattern, replacement, k), v) for k, v in state.items())
    state._metadata = metadata  # module versions, read by their state-dict loaders
    return state


def _examples(keys, n: int = 3) -> str:
    keys = sorted(keys)
    more = f' and {len(keys) - n} more' if len(keys) > n else ''
    return ', '.join(repr(k) for k in keys[:n]) + more


def _refuse_if_nothing_loaded(
    model: torch.nn.Module,
    unexpected: Sequence[str],
    state: Mapping[str, torch.Tensor],
    filename: str,
) -> None:
    """Refuse a checkpoint none of whose weights the model has (a checkpoint of another kind
    of model): every key was unexpected. Judged on what the model's loaders made of the keys,
    so a wrapper that takes a checkpoint of the model it wraps
    (:mod:`facerec.models.wrapped_model`, one key for one key) is judged like any model."""
    if state and len(set(unexpected)) >= len(state):
        own = model.state_dict().keys()
        raise ValueError(
            f'Checkpoint {filename} does not fit {type(model).__name__}: none of its '
            f'{len(state)} weights ({_examples(state)}) is in the model '
            f'({_examples(own)})'
        )


def load_weights(
    model: torch.nn.Module, state: Mapping[str, torch.Tensor], filename: str, strict: bool = False
) -> None:
    """Load ``state`` into ``model`` as mmengine does (keys and shapes that differ are logged,
    or raised with ``strict``), refusing a checkpoint none of whose weights the model has.

    Raises:
        ValueError: No weight of the checkpoint is in the model.
    """
    reports = []
    handle = model.register_load_state_dict_post_hook(lambda _, keys: reports.append(keys))
    try:
        load_state_dict(model, state, strict)
    finally:
        handle.remove()
    _refuse_if_nothing_loaded(model, reports[-1].unexpected_keys, state, filename)


def check_backbone_weights(
    model: torch.nn.Module, state: Mapping[str, torch.Tensor], filename: str
) -> None:
    """Refuse a checkpoint that lacks weights of the model's backbone or has them in another
    shape, so fine-tuning never starts from partly random backbone weights. Other modules (a
    margin head of another size, say) are not checked, nor are models whose weights are not
    under ``backbone.`` (wrappers such as the compressed models).
    """
    needed = {
        k: tuple(v.shape)
        for k, v in model.state_dict().items()
        if k.startswith('backbone.') and not k.endswith('num_batches_tracked')
    }
    missing = [k for k in needed if k not in state]
    mismatched = [
        f'{k} {tuple(state[k].shape)} vs {shape}'
        for k, shape in needed.items()
        if k in state and tuple(getattr(state[k], 'shape', ())) != shape
    ]
    if missing or mismatched:
        problems = []
        if missing:
            problems.append(
                f'lacks {len(missing)} of its {len(needed)} weights ({_examples(missing)})'
            )
        if mismatched:
            problems.append(f'has {len(mismatched)} in another shape ({_examples(mismatched)})')
        raise ValueError(
            f'Checkpoint {filename} does not fit the backbone of {type(model).__name__}: it '
            + ' and '.join(problems)
        )


def check_resume_meta(meta: Any, filename: str) -> None:
    """Refuse to resume from a checkpoint whose ``meta`` lacks the trainer's epoch and
    iteration (a file of weights only, or another program's checkpoint)."""
    if not isinstance(meta, Mapping) or 'epoch' not in meta or 'iter' not in meta:
        raise ValueError(
            f'Cannot resume from {filename}: it is not a training checkpoint (no epoch and '
            'iteration in its meta); use load_from to start from its weights'
        )


def load_for_inference(
    model: torch.nn.Module, state: Mapping[str, torch.Tensor], filename: str
) -> None:
    """Load ``state`` into ``model`` for testing: every weight that inference uses must be in
    the checkpoint with its shape. Weights of the modules the model lists in
    ``training_only_modules`` (e.g. a recogniser's margin head) may be absent.

    Raises:
        ValueError: Shapes differ, no weight of the checkpoint is in the model or inference
            weights are missing; the message names the file and the keys.
    """
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as e:
        name = type(model).__name__
        raise ValueError(f'Checkpoint {filename} does not fit {name}: {e}') from None
    _refuse_if_nothing_loaded(model, result.unexpected_keys, state, filename)
    optional = tuple(f'{m}.' for m in getattr(model, 'training_only_modules', ()))
    missing = [k for k in result.missing_keys if not k.startswith(optional)]
    if missing:
        raise ValueError(
            f'Checkpoint {filename} does not fit {type(model).__name__}: it lacks '
            f'{len(missing)} weights the model needs for inference ({_examples(missing)})'
        )


CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
