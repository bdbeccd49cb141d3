"""Checkpoints of row-sharded parameters: full tensors in the file, shards in memory.

A parameter marked as a row shard (``param.row_shard = (start, total)``, as
:class:`~facerec.models.heads.PartialFCHead` marks its centres) holds rows
``[start, start + n)`` of a ``(total, ...)`` tensor. On save, every rank sends its rows
(and the optimiser state of the same shape) to rank 0, which writes an ordinary
checkpoint with the full tensors; on load, each rank takes its rows again. So a
checkpoint does not depend on the world size it was written with: resuming on another
world size, merging into a replicated head and testing need nothing more.
"""

import contextlib
import itertools
from typing import Dict, Iterator, Optional

import torch
import torch.nn as nn

from .distributed import SHARD_ATTR, dist_info, gather_rows_to, shard_range


def _sharded(model: nn.Module) -> Dict[str, nn.Parameter]:
    return {name: p for name, p in model.named_parameters() if hasattr(p, SHARD_ATTR)}


def _param_index(optimizer: torch.optim.Optimizer) -> Dict[int, int]:
    """``id(param) -> index`` as ``optimizer.state_dict()`` numbers the parameters."""
    params = itertools.chain.from_iterable(g['params'] for g in optimizer.param_groups)
    return {id(p): i for i, p in enumerate(params)}


def _is_rows_of(value, param: torch.Tensor) -> bool:
    return torch.is_tensor(value) and value.shape == param.shape


@contextlib.contextmanager
def full_sharded_state(
    model: nn.Module, optimizer: Optional[torch.optim.Optimizer] = None
) -> Iterator[None]:
    """Make ``state_dict()`` of the model and optimiser hold full sharded tensors on rank 0.

    Every rank must enter (the rows are gathered on entry); inside, rank 0's
    ``model.state_dict()`` and ``optimizer.state_dict()`` hold the full tensors. Only
    rank 0 ever holds them, one tensor at a time being received.

    Args:
        model (nn.Module): The (unwrapped) model.
        optimizer (torch.optim.Optimizer, optional): Its optimiser.
    """
    sharded = _sharded(model)
    if not sharded or dist_info()[1] == 1:
        yield
        return
    rank = dist_info()[0]
    weights = {name: gather_rows_to(p.detach()) for name, p in sharded.items()}
    states: Dict[int, Dict[str, torch.Tensor]] = {}
    if optimizer is not None:
        index = _param_index(optimizer)
        for p in sharded.values():
            state = optimizer.state.get(p, {})
            # Ranks agree on the keys: every rank has stepped the same parameters.
            keys = sorted(k for k, v in state.items() if _is_rows_of(v, p))
            states[index[id(p)]] = {k: gather_rows_to(state[k]) for k in keys}
    if rank != 0:
        yield
        return

    def model_hook(module, state_dict, prefix, local_metadata):
        for name, value in weights.items():
            state_dict[prefix + name] = value
        return state_dict

    def optimizer_hook(opt, state_dict):
        for i, values in states.items():
            # A new dict: the packed state shares its dicts with the live optimiser state.
            state_dict['state'][i] = {**state_dict['state'].get(i, {}), **values}
        return state_dict

    handles = [model._register_state_dict_hook(model_hook)]
    if optimizer is not None:
        handles.append(optimizer.register_state_dict_post_hook(optimizer_hook))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def shard_optimizer_state(
    state_dict: dict, model: nn.Module, optimizer: torch.optim.Optimizer
) -> dict:
    """Take this rank's rows of full sharded-parameter state in an optimiser state dict.

    Tensors of the full ``(total, ...)`` shape become this rank's ``(n, ...)`` rows,
    in place; state already of the shard's shape is left alone.

    Args:
        state_dict (dict): ``optimizer.state_dict()`` as saved.
        model (nn.Module): The (unwrapped) model.
        optimizer (torch.optim.Optimizer): The optimiser it will be loaded into.

    Returns:
        dict: ``state_dict``.
    """
    index = _param_index(optimizer)
    for p in _sharded(model).values():
        start, total = getattr(p, SHARD_ATTR)
        state = state_dict.get('state', {}).get(index[id(p)], {})
        for key, value in state.items():
            if torch.is_tensor(value) and value.dim() > 0 and value.shape[0] == total:
                if value.shape[1:] == p.shape[1:]:
                    state[key] = value[start : start + p.shape[0]].clone()
    return state_dict


def split_rows(tensor: torch.Tensor, world_size: int) -> list:
    """The row shards of ``tensor`` for ``world_size`` ranks (see ``shard_range``)."""
    shards = []
    for rank in range(world_size):
        start, count = shard_range(tensor.shape[0], rank, world_size)
        shards.append(tensor[start : start + count].clone())
    return shards


def merge_rows(shards: list) -> torch.Tensor:
    """The tensor whose row shards (rank order) are ``shards``."""
    return torch.cat(list(shards))


def split_checkpoint(checkpoint: dict, world_size: int, keys=('head.weight',)) -> list:
    """Per-rank checkpoints holding each rank's rows of the sharded weights ``keys``.

    Other entries of ``state_dict`` are copied to every shard; the optimiser state is
    dropped (a shard is for inspection or per-rank storage, resuming reads full files).

    Args:
        checkpoint (dict): A checkpoint with full tensors under ``state_dict``.
        world_size (int): Number of ranks.
        keys (sequence[str]): The sharded state-dict keys. Defaults to ``('head.weight',)``.

    Returns:
        list[dict]: One checkpoint per rank, with ``meta['row_shard'] = {key: [start,
        total]}``.
    """
    state = checkpoint['state_dict']
    missing = [k for k in keys if k not in state]
    if missing:
        raise KeyError(f'checkpoint has no sharded key(s) {missing}')
    shards = []
    for rank in range(world_size):
        shard_state, shard_meta = dict(state), {}
        for key in keys:
            start, count = shard_range(state[key].shape[0], rank, world_size)
            shard_state[key] = state[key][start : start + count].clone()
            shard_meta[key] = [start, state[key].shape[0]]
        meta = dict(checkpoint.get('meta') or {}, row_shard=shard_meta, rank=rank)
        shards.append({'meta': meta, 'state_dict': shard_state})
    return shards


def merge_checkpoints(shards: list) -> dict:
    """One checkpoint with the full sharded weights from :func:`split_checkpoint` shards.

    Args:
        shards (list[dict]): The per-rank checkpoints, in any order.

    Returns:
        dict: A checkpoint loadable into the replicated head (or any world size).
    """
    ordered = sorted(shards, key=lambda s: s['meta']['rank'])
    if [s['meta']['rank'] for s in ordered] != list(range(len(ordered))):
        raise ValueError('shards must be ranks 0..N-1 of one split, each once')
    row_shard = ordered[0]['meta']['row_shard']
    state = dict(ordered[0]['state_dict'])
    for key, (_, total) in row_shard.items():
        state[key] = merge_rows([s['state_dict'][key] for s in ordered])
        if state[key].shape[0] != total:
            raise ValueError(f'{key}: merged {state[key].shape[0]} rows, expected {total}')
    meta = {k: v for k, v in ordered[0]['meta'].items() if k not in ('row_shard', 'rank')}
    return {'meta': meta, 'state_dict': state}
