"""Partial FC: a margin head whose class centres are sharded over the ranks."""

import math
import weakref
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch.optim.optimizer import (
    register_optimizer_step_post_hook,
    register_optimizer_step_pre_hook,
)

from facerec.models.utils.distributed import (
    SHARD_ATTR,
    all_gather_with_grad,
    all_reduce_replicated,
    dist_info,
    shard_range,
)
from facerec.registry import MODELS
from facerec.utils.checks import check_number, check_positive_int

from .margin_head import mining_t
from .margins import Margin, build_margin, flatten_margin_state


@MODELS.register_module()
class PartialFCHead(BaseModule):
    """Margin softmax head with the class centres sharded by rank (Partial FC).

    Rank ``r`` of ``W`` holds the centres of classes ``[start_r, start_r + n_r)``
    (:func:`~facerec.models.utils.shard_range`), so the classifier's weights, gradients
    and optimiser state per rank fall as ``1 / W``. Per step:

    1. the embeddings and labels of every rank are gathered (the gather passes
       gradients back, scaled by ``W`` so that DistributedDataParallel's averaging of
       the backbone gradients leaves the single-process gradient of the whole batch);
    2. each rank samples its centres: the positives (classes of the gathered labels it
       owns) and a random share of the negatives, ``sample_rate`` of its centres in all;
    3. the margin (any of :mod:`facerec.models.heads.margins`, the same modules the
       replicated heads use) turns the local cosines into logits, with each sample's
       target cosine all-reduced so that margins that look at the target logit
       (CurricularFace, SV mining) see it on every rank;
    4. the softmax cross entropy reduces its max and sum across ranks.

    With ``sample_rate=1`` the loss and gradients are those of the replicated head on
    the gathered batch. Unsampled centres take no part in the step: neither they nor
    their optimiser state (momentum, Adam moments) change, as if the step had not
    happened for them (see :meth:`_swap_in_sampled`). The parameters are marked as row
    shards, which the runner excludes from DistributedDataParallel, and checkpoints hold
    the full ``weight`` (gathered to rank 0 by :class:`~facerec.engine.runners.FaceRunner`),
    so a checkpoint has the keys of the replicated head with the same margin and loads
    on any world size.

    The loss is the softmax cross entropy (no ``loss`` config); ``forward`` returns the
    scaled logits of the local centres only.

    Args:
        num_classes (int): Number of identities (over all ranks), at least the world size.
        in_channels (int): Size of the input embeddings.
        margin (dict): The margin, ``dict(type=<name>, **args)`` with a registered margin
            (:mod:`~facerec.models.heads.margins`). Defaults to
            ``dict(type='ArcFaceMargin', m=0.5)``.
        s (float): Scale of the logits. Defaults to 64.0.
        sample_rate (float): Share of each rank's centres used per training step, in
            (0, 1]; the positives are always used. Defaults to 1.0.
        mining_type (str, optional): None or ``'sv'`` (support-vector mining). Defaults
            to None.
        t (float): Scale of the mined negatives. Defaults to 1.1.
        init_cfg (dict or list[dict], optional): Initialisation config. Without it the
            centres are Xavier-uniform initialised with the fan of the full matrix.
            Defaults to None.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        margin: Union[dict, Margin, None] = None,
        s: float = 64.0,
        sample_rate: float = 1.0,
        mining_type: Optional[str] = None,
        t: float = 1.1,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = check_positive_int('num_classes', num_classes)
        self.in_channels = check_positive_int('in_channels', in_channels)
        self.s = check_number('s', s, low=0, low_open=True)
        self.sample_rate = check_number('sample_rate', sample_rate, low=0, high=1, low_open=True)
        self.rank, self.world_size = dist_info()
        if self.num_classes < self.world_size:
            raise ValueError(
                f'num_classes ({self.num_classes}) must be at least the world size '
                f'({self.world_size})'
            )
        self.class_start, self.num_local = shard_range(self.num_classes, *dist_info())
        self.margin = build_margin(margin if margin is not None else dict(type='ArcFaceMargin'))
        self.margin.mining_t = mining_t(mining_type, t)
        self.mining_type = mining_type
        self.weight = nn.Parameter(torch.empty(self.num_local, self.in_channels))
        setattr(self.weight, SHARD_ATTR, (self.class_start, self.num_classes))
        self._reset_weight()
        flatten_margin_state(self)
        self._register_load_state_dict_pre_hook(_slice_full_weight(self))
        self._sampled: Optional[torch.Tensor] = None
        self._stash: Optional[tuple] = None
        _register_optimizer_hooks(self)

    def _reset_weight(self) -> None:
        # Xavier-uniform bound of the full matrix. One draw of the global generator (the
        # same on every rank, so the ranks' streams stay in step) plus the rank seeds this
        # shard: the ranks' centres differ and the run is reproducible.
        bound = math.sqrt(6.0 / (self.num_classes + self.in_channels))
        seed = int(torch.randint(2**62, (1,))) + self.rank
        gen = torch.Generator(device=self.weight.device).manual_seed(seed)
        with torch.no_grad():
            self.weight.uniform_(-bound, bound, generator=gen)

    def init_weights(self) -> None:
        """Initialise the centres (Xavier uniform of the full matrix) unless ``init_cfg``."""
        if self.init_cfg:
            super().init_weights()
            return
        self._reset_weight()
        self._is_init = True

    def local_labels(self, labels: torch.Tensor) -> torch.Tensor:
        """Class indices relative to this rank's shard, -1 for another rank's classes."""
        local = labels - self.class_start
        return torch.where((local >= 0) & (local < self.num_local), local, -1)

    def sample(self, labels: torch.Tensor) -> Tuple[Optional[torch.Tensor], torch.Tensor]:
        """Choose the centres of a training step.

        Args:
            labels (Tensor): Global class indices of the gathered batch, shape (N,).

        Returns:
            tuple: The sorted local rows used (None: all of them) and each sample's
            column among them (-1 where its class is on another rank).
        """
        local = self.local_labels(labels)
        if self.sample_rate >= 1.0 or not self.training:
            return None, local
        positive = torch.unique(local[local >= 0])
        num_sample = max(int(self.sample_rate * self.num_local), positive.numel())
        if num_sample >= self.num_local:
            return None, local
        score = torch.rand(self.num_local, device=self.weight.device)
        score[positive] = 2.0
        index = score.topk(num_sample).indices.sort().values
        column = torch.full((self.num_local,), -1, dtype=torch.long, device=index.device)
        column[index] = torch.arange(num_sample, device=index.device)
        prev = self._sampled
        self._sampled = index if prev is None else torch.unique(torch.cat([prev, index]))
        return index, torch.where(local >= 0, column[local.clamp(min=0)], -1)

    def cosine(self, feats: torch.Tensor, index: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Cosines between the embeddings and the local centres (rows ``index`` only).

        Computed as ``(x / |x|) . w / |w|``: dividing the (batch, classes) products by the
        centre norms avoids a normalised copy of the centres and the backward temporaries
        it brings, each as large as the shard.
        """
        weight = self.weight if index is None else self.weight[index]
        norms = weight.norm(dim=1).clamp(min=1e-12)
        return F.linear(F.normalize(feats, dim=1), weight) / norms

    def forward(self, feats: torch.Tensor, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Scaled logits of this rank's centres, no gathering or sampling.

        Args:
            feats (Tensor): Embeddings of shape (N, in_channels).
            labels (Tensor, optional): Global class indices of shape (N,). With labels,
                the margin applies where the target is one of this rank's classes.

        Returns:
            Tensor: Logits of shape (N, num_local) (num_classes on one process).
        """
        cos = self.cosine(feats)
        if labels is None:
            return self.s * cos
        local = self.local_labels(labels.reshape(-1).long())
        cos_y = _target_cosines(cos, local)
        return self.s * self.margin(cos, local, cos_y)

    def loss(self, feats: torch.Tensor, labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Loss and accuracy over the batch gathered from every rank.

        Args:
            feats (Tensor): This rank's embeddings, shape (N, in_channels).
            labels (Tensor): This rank's class indices, shape (N,).

        Returns:
            dict[str, Tensor]: ``loss_cls``, the mean softmax cross entropy of the margin
            logits over the gathered batch (the same value on every rank), and
            ``accuracy``, the top-1 accuracy of the plain cosines over the used centres.
        """
        labels = labels.reshape(-1).long()
        feats = all_gather_with_grad(feats, grad_scale=self.world_size)
        labels = all_gather_with_grad(labels)
        index, local = self.sample(labels)
        cos = self.cosine(feats, index)
        logits = self.s * self.margin(cos, local, _target_cosines(cos, local))
        loss_cls = _sharded_cross_entropy(logits, local)
        with torch.no_grad():
            accuracy = self._accuracy(cos, index, labels)
        if self.training:
            self.margin.after_loss()
        return {'loss_cls': loss_cls, 'accuracy': accuracy}

    def _accuracy(
        self, cos: torch.Tensor, index: Optional[torch.Tensor], labels: torch.Tensor
    ) -> torch.Tensor:
        best, column = cos.max(dim=1)
        rows = column if index is None else index[column]
        pred = rows + self.class_start
        if self.world_size > 1:
            bests = [torch.empty_like(best) for _ in range(self.world_size)]
            preds = [torch.empty_like(pred) for _ in range(self.world_size)]
            dist.all_gather(bests, best)
            dist.all_gather(preds, pred)
            winner = torch.stack(bests).argmax(dim=0, keepdim=True)
            pred = torch.stack(preds).gather(0, winner).view(-1)
        return (pred == labels).float().mean()

    def _swap_in_sampled(self, optimizer: torch.optim.Optimizer) -> None:
        """Before an optimiser step: leave only the sampled rows in the parameter.

        The optimiser then steps the sampled centres alone, so the others keep their
        weights and state (momentum, Adam moments, weight decay are not applied to a
        centre the step knew nothing of). Keeping them in the update with a zero gradient,
        as a dense masked gradient does, would still move them by their stale momentum
        and shrink them by weight decay at a rate set by ``sample_rate``.
        """
        index, param = self._sampled, self.weight
        stepped = (p for group in optimizer.param_groups for p in group['params'])
        if index is None or not any(p is param for p in stepped):
            return
        state = optimizer.state.get(param, {})
        full_state = {
            k: v for k, v in state.items() if torch.is_tensor(v) and v.shape == param.shape
        }
        self._stash = (param.data, param.grad, full_state, index)
        param.data = param.data.index_select(0, index)
        if self._stash[1] is not None:
            param.grad = self._stash[1].index_select(0, index)
        for key, value in full_state.items():
            state[key] = value.index_select(0, index)

    def _swap_out_sampled(self, optimizer: torch.optim.Optimizer) -> None:
        """After an optimiser step: write the stepped rows and their state back."""
        if self._stash is None:
            return
        full, grad, full_state, index = self._stash
        self._stash, self._sampled, param = None, None, self.weight
        full.index_copy_(0, index, param.data)
        param.data = full
        param.grad = grad
        state = optimizer.state.get(param, {})
        for key, value in list(state.items()):
            if torch.is_tensor(value) and value.dim() > 0 and value.shape[0] == index.numel():
                dest = full_state.get(key)
                if dest is None:
                    dest = torch.zeros_like(full, dtype=value.dtype)
                state[key] = dest.index_copy_(0, index, value)


def _target_cosines(cos: torch.Tensor, local: torch.Tensor) -> torch.Tensor:
    """Each sample's target cosine: with gradient where this rank holds it, else all-reduced."""
    own = local >= 0
    mine = cos.gather(1, local.clamp(min=0).view(-1, 1)).view(-1)
    mine = torch.where(own, mine, torch.zeros_like(mine))
    if dist_info()[1] == 1:
        return mine
    every = mine.detach().clone()
    dist.all_reduce(every)
    return torch.where(own, mine, every)


def _sharded_cross_entropy(logits: torch.Tensor, local: torch.Tensor) -> torch.Tensor:
    """Mean softmax cross entropy of logits whose columns are split over the ranks."""
    with torch.no_grad():
        peak = logits.max(dim=1, keepdim=True).values
        if dist_info()[1] > 1:
            dist.all_reduce(peak, op=dist.ReduceOp.MAX)
    shifted = logits - peak
    sum_exp = all_reduce_replicated(shifted.exp().sum(dim=1))
    target = shifted.gather(1, local.clamp(min=0).view(-1, 1)).view(-1)
    target = all_reduce_replicated(torch.where(local >= 0, target, torch.zeros_like(target)))
    return (sum_exp.log() - target).mean()


def _slice_full_weight(head: PartialFCHead):
    """A load pre-hook taking this rank's rows from a full (num_classes, C) weight."""
    ref = weakref.ref(head)

    def hook(state_dict, prefix, *args):
        head = ref()
        key = f'{prefix}weight'
        value = state_dict.get(key)
        if head is None or value is None or head.num_local == head.num_classes:
            return
        if value.dim() == 2 and value.shape[0] == head.num_classes:
            start = head.class_start
            state_dict[key] = value[start : start + head.num_local]

    return hook


def _register_optimizer_hooks(head: PartialFCHead) -> None:
    """Global optimiser step hooks that step only the sampled centres of ``head``."""
    ref = weakref.ref(head)

    def before(optimizer, args, kwargs):
        head = ref()
        if head is not None:
            head._swap_in_sampled(optimizer)

    def after(optimizer, args, kwargs):
        head = ref()
        if head is not None:
            head._swap_out_sampled(optimizer)

    handles = (register_optimizer_step_pre_hook(before), register_optimizer_step_post_hook(after))
    weakref.finalize(head, lambda: [h.remove() for h in handles])
