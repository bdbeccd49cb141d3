"""torch.distributed helpers for model code: gathers that pass gradients, shard ranges.

Every helper works in a single process too (world size 1), where it is the identity.
"""

from typing import List, Tuple

import torch
import torch.distributed as dist
import torch.nn as nn


def dist_info() -> Tuple[int, int]:
    """``(rank, world_size)`` of the default process group, ``(0, 1)`` without one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def shard_range(num_rows: int, rank: int, world_size: int) -> Tuple[int, int]:
    """The rows ``[start, start + count)`` rank ``rank`` owns of ``num_rows`` split evenly.

    The first ``num_rows % world_size`` ranks own one row more than the others.

    Args:
        num_rows (int): Rows to split.
        rank (int): The rank.
        world_size (int): Number of ranks.

    Returns:
        tuple[int, int]: ``(start, count)``.
    """
    base, extra = divmod(num_rows, world_size)
    return rank * base + min(rank, extra), base + (rank < extra)


def _sizes_and_padded(tensor: torch.Tensor) -> Tuple[List[int], torch.Tensor]:
    """Every rank's row count, and ``tensor`` zero-padded to the largest."""
    size = torch.tensor([tensor.shape[0]], device=tensor.device)
    sizes = [torch.zeros_like(size) for _ in range(dist.get_world_size())]
    dist.all_gather(sizes, size)
    sizes = [int(s) for s in sizes]
    padded = tensor.new_zeros((max(sizes),) + tuple(tensor.shape[1:]))
    padded[: tensor.shape[0]] = tensor
    return sizes, padded


def _gather_padded(tensor: torch.Tensor) -> Tuple[torch.Tensor, List[int]]:
    """All-gather tensors whose first dimension may differ by rank; also the sizes."""
    sizes, padded = _sizes_and_padded(tensor)
    chunks = [torch.empty_like(padded) for _ in sizes]
    dist.all_gather(chunks, padded)
    return torch.cat([chunk[:n] for chunk, n in zip(chunks, sizes)]), sizes


class _AllGatherWithGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, tensor: torch.Tensor, grad_scale: float) -> torch.Tensor:
        gathered, sizes = _gather_padded(tensor.contiguous())
        ctx.sizes, ctx.grad_scale = sizes, grad_scale
        return gathered

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        grad = grad.contiguous()
        dist.all_reduce(grad)
        rank = dist.get_rank()
        start = sum(ctx.sizes[:rank])
        local = grad[start : start + ctx.sizes[rank]]
        return local * ctx.grad_scale if ctx.grad_scale != 1.0 else local, None


def all_gather_with_grad(tensor: torch.Tensor, grad_scale: float = 1.0) -> torch.Tensor:
    """Concatenate every rank's ``tensor`` (rank order), passing gradients back.

    Each rank may hold a different number of rows. The gradient every rank computes
    for the gathered tensor is summed over ranks and each rank gets the rows of its own
    input: the exact gradient of a loss that every rank computes identically from the
    gathered rows plus its own shard of the parameters (Partial FC), times ``grad_scale``.

    Args:
        tensor (Tensor): This rank's rows, shape (N_rank, ...).
        grad_scale (float): Factor on the returned gradient, e.g. the world size to
            undo the gradient averaging of DistributedDataParallel. Defaults to 1.0.

    Returns:
        Tensor: All rows, shape (sum of N_rank, ...).
    """
    if dist_info()[1] == 1:
        return tensor
    return _AllGatherWithGrad.apply(tensor, float(grad_scale))


class _AllReduceReplicated(torch.autograd.Function):
    @staticmethod
    def forward(ctx, tensor: torch.Tensor, op) -> torch.Tensor:
        out = tensor.clone()
        dist.all_reduce(out, op=op)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return grad, None


def all_reduce_replicated(tensor: torch.Tensor, op=dist.ReduceOp.SUM) -> torch.Tensor:
    """All-reduce (sum) feeding a computation every rank repeats identically.

    The backward pass is the identity: each rank holds the same downstream loss, so the
    gradient of that loss for its own summand is the gradient for the sum.

    Args:
        tensor (Tensor): This rank's summand.
        op: The reduce operation; only SUM passes gradients correctly. Defaults to SUM.

    Returns:
        Tensor: The sum over ranks.
    """
    if dist_info()[1] == 1:
        return tensor
    return _AllReduceReplicated.apply(tensor, op)


def gather_rows_to(tensor: torch.Tensor, dst: int = 0) -> torch.Tensor:
    """Concatenate every rank's rows on rank ``dst`` only (others get their own rows).

    Unlike an all-gather, only ``dst`` ever holds the whole tensor.

    Args:
        tensor (Tensor): This rank's rows, shape (N_rank, ...).
        dst (int): The receiving rank. Defaults to 0.

    Returns:
        Tensor: All rows on ``dst``, ``tensor`` elsewhere.
    """
    rank, world_size = dist_info()
    if world_size == 1:
        return tensor
    sizes, padded = _sizes_and_padded(tensor)
    chunks = [torch.empty_like(padded) for _ in sizes] if rank == dst else None
    dist.gather(padded, chunks, dst=dst)
    if rank != dst:
        return tensor
    return torch.cat([chunk[:n] for chunk, n in zip(chunks, sizes)])


#: Attribute that marks a parameter holding this rank's rows of a row-sharded tensor.
SHARD_ATTR = 'row_shard'


def sharded_parameter_names(model: nn.Module) -> List[str]:
    """Names of the parameters marked as row shards (``param.row_shard = (start, total)``).

    Such parameters differ by rank, so a DistributedDataParallel wrapper must neither
    broadcast nor all-reduce them.

    Args:
        model (nn.Module): The model.

    Returns:
        list[str]: Fully qualified parameter names.
    """
    return [name for name, p in model.named_parameters() if hasattr(p, SHARD_ATTR)]
