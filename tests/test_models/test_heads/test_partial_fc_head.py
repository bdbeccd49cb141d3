"""PartialFCHead on 1, 2 and 4 gloo processes started by the tests (marked ``distributed``)."""

import json
import math
import time
from types import SimpleNamespace

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F

import facerec.engine  # noqa: F401
import facerec.models  # noqa: F401
from facerec.engine.hooks import ShardedCheckpointHook
from facerec.models.heads import ArcFaceHead, PartialFCHead
from facerec.models.utils import (
    ShardedDistributedDataParallel,
    merge_rows,
    shard_range,
    split_rows,
)
from facerec.registry import MODELS

NUM_CLASSES, DIM = 23, 8


def run_ranks(fn, world_size: int, tmp_path, *args, timeout: float = 600.0) -> None:
    """Run ``fn(rank, world_size, *args)`` on ``world_size`` gloo processes; re-raise failures."""
    store = tmp_path / f'store_{fn.__name__}_{world_size}'
    ctx = mp.start_processes(
        _entry,
        args=(fn, world_size, str(store), args),
        nprocs=world_size,
        join=False,
        start_method='spawn',
    )
    deadline = time.monotonic() + timeout
    while not ctx.join(timeout=5):
        if time.monotonic() > deadline:
            for process in ctx.processes:
                process.kill()
            pytest.fail(f'{fn.__name__} on {world_size} processes did not finish')


def _entry(rank, fn, world_size, store, args):
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'file://{store}', rank=rank, world_size=world_size)
    try:
        fn(rank, world_size, *args)
    finally:
        dist.destroy_process_group()


def batch_sizes(world_size: int):
    # Uneven per-rank batches, as the last batch of an epoch can be.
    return [3, 2, 4, 1][:world_size]


def unit(angle: float):
    return [math.cos(angle), math.sin(angle)]


def combined_reference(feats, labels, weight, s, m2, m3):
    cos = F.linear(F.normalize(feats, dim=1), F.normalize(weight, dim=1))
    target = (cos.gather(1, labels.view(-1, 1)).acos() + m2).cos() - m3
    return F.cross_entropy(s * cos.scatter(1, labels.view(-1, 1), target), labels)


# (replicated head config, PartialFCHead margin and extra args)
CASES = [
    (
        dict(type='AMSoftmaxHead', s=30.0, m=0.35),
        dict(margin=dict(type='CosFaceMargin', m=0.35), s=30.0),
    ),
    (
        dict(type='ArcFaceHead', s=64.0, m=0.5),
        dict(margin=dict(type='ArcFaceMargin', m=0.5), s=64.0),
    ),
    (
        dict(type='ArcFaceHead', s=32.0, m=0.3, mining_type='sv', t=1.2),
        dict(margin=dict(type='ArcFaceMargin', m=0.3), s=32.0, mining_type='sv', t=1.2),
    ),
    (
        dict(type='CurricularFaceHead', s=64.0, m=0.5, momentum=0.3),
        dict(margin=dict(type='CurricularFaceMargin', m=0.5, momentum=0.3), s=64.0),
    ),
    (None, dict(margin=dict(type='CombinedMargin', m1=1.0, m2=0.2, m3=0.1), s=16.0)),
]


def _equal_to_replicated(rank, world_size):
    sizes = batch_sizes(world_size)
    start, count = sum(sizes[:rank]), sizes[rank]
    for ref_cfg, pfc_args in CASES:
        torch.manual_seed(0)  # the same data and reference weights on every rank
        feats = torch.randn(sum(sizes), DIM, dtype=torch.float64)
        labels = torch.randint(0, NUM_CLASSES, (sum(sizes),))
        labels[0] = labels[1]  # a class seen twice
        weight = torch.randn(NUM_CLASSES, DIM, dtype=torch.float64)
        ref_feats = feats.clone().requires_grad_(True)
        ref_weight = weight.clone().requires_grad_(True)
        if ref_cfg is None:
            ref = None
            margin = pfc_args['margin']
            ref_loss = combined_reference(
                ref_feats, labels, ref_weight, pfc_args['s'], margin['m2'], margin['m3']
            )
        else:
            ref = MODELS.build(dict(ref_cfg, num_classes=NUM_CLASSES, in_channels=DIM)).double()
            ref.weight = nn.Parameter(ref_weight)
            ref_out = ref.loss(ref_feats, labels)
            ref_loss = ref_out['loss_cls']
        ref_loss.backward()

        head = PartialFCHead(NUM_CLASSES, DIM, **pfc_args).double()
        state = {'weight': weight}
        if 't' in head.state_dict():
            state['t'] = torch.zeros((), dtype=torch.float64)
        head.load_state_dict(state)
        row0, rows = shard_range(NUM_CLASSES, rank, world_size)
        assert head.weight.shape == (rows, DIM)
        assert torch.equal(head.weight.detach(), weight[row0 : row0 + rows])
        mine = feats[start : start + count].clone().requires_grad_(True)
        out = head.loss(mine, labels[start : start + count])
        out['loss_cls'].backward()

        name = pfc_args['margin']['type']
        assert abs(out['loss_cls'].item() - ref_loss.item()) < 1e-5, name
        # The embedding gradient carries the factor world_size that DDP's averaging removes.
        grad = mine.grad / world_size
        assert torch.allclose(grad, ref_feats.grad[start : start + count], atol=1e-5), name
        ref_grad = ref_weight.grad if ref is None else ref.weight.grad
        ref_rows = ref_grad[row0 : row0 + rows]
        assert torch.allclose(head.weight.grad, ref_rows, atol=1e-5), name
        if ref is not None:
            assert out['accuracy'].item() == pytest.approx(ref_out['accuracy'].item())
            if 't' in ref.state_dict():
                assert head.margin.t.item() == pytest.approx(ref.t.item(), abs=1e-7)


@pytest.mark.distributed
@pytest.mark.parametrize('world_size', [2, 4])
def test_loss_and_gradients_equal_the_replicated_head(world_size, tmp_path):
    run_ranks(_equal_to_replicated, world_size, tmp_path)


def _sampling(rank, world_size):
    torch.manual_seed(1)
    num_classes, rate, lr, momentum, decay = 40, 0.25, 0.1, 0.9, 1e-3
    head = PartialFCHead(
        num_classes, DIM, margin=dict(type='CosFaceMargin'), s=30.0, sample_rate=rate
    )
    head = head.double()
    optimizer = torch.optim.SGD(head.parameters(), lr=lr, momentum=momentum, weight_decay=decay)
    row0, rows = head.class_start, head.num_local
    for _ in range(3):
        feats = torch.randn(4, DIM, dtype=torch.float64)
        labels = torch.randint(0, num_classes, (4 * world_size,))  # same on every rank
        mine = labels[4 * rank : 4 * rank + 4]
        weight = head.weight.detach().clone()
        state = optimizer.state.get(head.weight, {})
        buf = state['momentum_buffer'].clone() if 'momentum_buffer' in state else None
        head.loss(feats, mine)['loss_cls'].backward()
        sampled = head._sampled.clone()
        positives = {int(c) - row0 for c in labels if row0 <= c < row0 + rows}
        assert positives <= set(sampled.tolist())
        assert sampled.numel() == max(int(rate * rows), len(positives))
        unsampled = torch.ones(rows, dtype=torch.bool)
        unsampled[sampled] = False
        grad = head.weight.grad.detach().clone()
        assert torch.equal(grad[unsampled], torch.zeros_like(grad[unsampled]))
        optimizer.step()
        optimizer.zero_grad()
        new = head.weight.detach()
        new_buf = optimizer.state[head.weight]['momentum_buffer']
        assert new.shape == weight.shape and new_buf.shape == weight.shape
        # The centres the step did not sample keep their weights and momentum exactly.
        assert torch.equal(new[unsampled], weight[unsampled])
        old_buf = torch.zeros_like(weight) if buf is None else buf
        assert torch.equal(new_buf[unsampled], old_buf[unsampled])
        # The sampled ones take plain SGD: buf = mu buf + g + wd w; w -= lr buf.
        d = grad[sampled] + decay * weight[sampled]
        expected_buf = d if buf is None else momentum * old_buf[sampled] + d
        assert torch.allclose(new_buf[sampled], expected_buf, atol=1e-12)
        assert torch.allclose(new[sampled], weight[sampled] - lr * expected_buf, atol=1e-12)


@pytest.mark.distributed
def test_sampling_keeps_positives_and_leaves_unsampled_centres_alone(tmp_path):
    run_ranks(_sampling, 2, tmp_path)


class TinyRecognizer(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Linear(6, DIM).double()
        self.head = PartialFCHead(
            NUM_CLASSES, DIM, margin=dict(type='ArcFaceMargin', m=0.3), s=16.0
        ).double()

    def forward(self, x, labels):
        return self.head.loss(self.backbone(x), labels)['loss_cls']


def global_batch(step: int):
    gen = torch.Generator().manual_seed(100 + step)
    x = torch.randn(12, 6, generator=gen, dtype=torch.float64)
    return x, torch.randint(0, NUM_CLASSES, (12,), generator=gen)


def initial_weights():
    torch.manual_seed(3)
    return nn.Linear(6, DIM).double().state_dict(), torch.randn(NUM_CLASSES, DIM).double()


def replicated_losses(steps: int):
    backbone_state, centres = initial_weights()
    backbone = nn.Linear(6, DIM).double()
    backbone.load_state_dict(backbone_state)
    head = ArcFaceHead(NUM_CLASSES, DIM, s=16.0, m=0.3).double()
    head.load_state_dict({'weight': centres})
    params = list(backbone.parameters()) + list(head.parameters())
    optimizer = torch.optim.SGD(params, lr=0.05, momentum=0.9)
    losses, grads = [], []
    for step in range(steps):
        x, y = global_batch(step)
        loss = head.loss(backbone(x), y)['loss_cls']
        loss.backward()
        grads.append(backbone.weight.grad.clone())
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return losses, grads


def _train(rank, world_size, out_dir, first_step, last_step, save_after, load):
    backbone_state, centres = initial_weights()
    model = TinyRecognizer()
    model.backbone.load_state_dict(backbone_state)
    model.head.load_state_dict({'weight': centres})
    ddp = ShardedDistributedDataParallel(model, device_ids=None)
    assert ddp.parameters_to_ignore == {'head.weight'}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    runner = SimpleNamespace(model=ddp, optim_wrapper=_optim_wrapper(optimizer))
    hook = ShardedCheckpointHook()
    path = f'{out_dir}/checkpoint.pth'
    if load:
        checkpoint = torch.load(path, weights_only=True)
        hook.after_load_checkpoint(runner, checkpoint)
        model.load_state_dict(checkpoint['state_dict'])
        optimizer.load_state_dict(checkpoint['optimizer'])
    losses, grads = [], []
    for step in range(first_step, last_step):
        x, y = global_batch(step)
        start, count = shard_range(len(y), rank, world_size)
        loss = ddp(x[start : start + count], y[start : start + count])
        loss.backward()
        grads.append(model.backbone.weight.grad.tolist())
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        if step + 1 == save_after:
            with hook._full_state(runner):
                checkpoint = {'state_dict': model.state_dict(), 'optimizer': optimizer.state_dict()}
            if rank == 0:
                assert checkpoint['state_dict']['head.weight'].shape == (NUM_CLASSES, DIM)
                torch.save(checkpoint, path)
            dist.barrier()
            # Every rank's rows are in the file exactly.
            saved = torch.load(path, weights_only=True)
            row0 = model.head.class_start
            rows = saved['state_dict']['head.weight'][row0 : row0 + model.head.num_local]
            assert torch.equal(rows, model.head.weight.detach())
    if rank == 0:
        with open(f'{out_dir}/losses_{world_size}.json', 'w') as f:
            json.dump({'losses': losses, 'grads': grads}, f)


def _optim_wrapper(optimizer):
    from mmengine.optim import OptimWrapper

    return OptimWrapper(optimizer)


@pytest.mark.distributed
def test_resume_from_4_ranks_on_2_continues_the_run(tmp_path):
    steps = 4
    run_ranks(_train, 4, tmp_path, str(tmp_path), 0, steps, 2, False)
    run_ranks(_train, 2, tmp_path, str(tmp_path), 2, steps, 0, True)
    four = json.loads((tmp_path / 'losses_4.json').read_text())
    two = json.loads((tmp_path / 'losses_2.json').read_text())
    expected, expected_grads = replicated_losses(steps)
    assert four['losses'] == pytest.approx(expected, abs=1e-5)
    assert two['losses'] == pytest.approx(four['losses'][2:], abs=1e-5)
    # Under DDP the backbone gets the single-process gradient of the whole batch.
    for got, want in zip(four['grads'] + two['grads'], expected_grads + expected_grads[2:]):
        assert torch.allclose(torch.tensor(got, dtype=torch.float64), want, atol=1e-6)


def test_single_process_matches_arcface_and_checkpoints_interchange():
    torch.manual_seed(0)
    arc = ArcFaceHead(NUM_CLASSES, DIM)
    head = PartialFCHead(NUM_CLASSES, DIM, margin=dict(type='ArcFaceMargin'))
    head.load_state_dict(arc.state_dict())
    feats, labels = torch.randn(5, DIM), torch.randint(0, NUM_CLASSES, (5,))
    assert torch.allclose(head(feats, labels), arc(feats, labels), atol=1e-5)
    assert torch.allclose(head(feats), arc(feats), atol=1e-5)
    expected = arc.loss(feats, labels)['loss_cls']
    assert head.loss(feats, labels)['loss_cls'].item() == pytest.approx(expected.item(), abs=1e-5)
    back = ArcFaceHead(NUM_CLASSES, DIM)
    back.load_state_dict(head.state_dict())
    assert torch.equal(back.weight, arc.weight)


@pytest.mark.parametrize('world_size', [1, 2, 3, 4, 7])
def test_split_and_merge_round_trip_exactly(world_size):
    full = torch.randn(NUM_CLASSES, DIM)
    shards = split_rows(full, world_size)
    assert [len(s) for s in shards] == [
        shard_range(NUM_CLASSES, r, world_size)[1] for r in range(world_size)
    ]
    assert torch.equal(merge_rows(shards), full)


def test_sample_rate_and_margin_checks():
    with pytest.raises(ValueError, match='^sample_rate '):
        PartialFCHead(10, 4, sample_rate=0.0)
    with pytest.raises(ValueError, match='margin type'):
        PartialFCHead(10, 4, margin=dict(type='ArcFaceHead'))
    with pytest.raises(ValueError, match='^num_classes '):
        PartialFCHead(0, 4)


def test_converter_splits_and_merges_a_checkpoint_exactly(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[3]
    torch.manual_seed(0)
    state = {'backbone.w': torch.randn(4, 3), 'head.weight': torch.randn(NUM_CLASSES, DIM)}
    torch.save({'meta': {'epoch': 2}, 'state_dict': state}, tmp_path / 'full.pth')
    tool = str(repo / 'tools' / 'model_converters' / 'partial_fc_checkpoint.py')
    env = {'PYTHONPATH': str(repo), 'PATH': '/usr/bin:/bin'}
    split = [sys.executable, tool, 'split', str(tmp_path / 'full.pth'), str(tmp_path / 'shards')]
    subprocess.run(split + ['--world-size', '3'], check=True, env=env, cwd=repo)
    shards = sorted((tmp_path / 'shards').glob('rank_*.pth'))
    assert len(shards) == 3
    rows = [torch.load(p, weights_only=True)['state_dict']['head.weight'] for p in shards]
    assert [len(r) for r in rows] == [8, 8, 7]
    merge = [sys.executable, tool, 'merge', str(tmp_path / 'merged.pth'), *map(str, shards[::-1])]
    subprocess.run(merge, check=True, env=env, cwd=repo)
    merged = torch.load(tmp_path / 'merged.pth', weights_only=True)
    assert merged['meta'] == {'epoch': 2}
    assert merged['state_dict'].keys() == state.keys()
    assert all(torch.equal(merged['state_dict'][k], v) for k, v in state.items())
    # The merged checkpoint is an ordinary AM-softmax head.
    head = MODELS.build(dict(type='AMSoftmaxHead', num_classes=NUM_CLASSES, in_channels=DIM))
    head.load_state_dict({'weight': merged['state_dict']['head.weight']})


def test_hook_hides_shards_from_the_init_broadcast_until_training():
    """mmengine broadcasts model.state_dict() from rank 0 after init_weights: not the shards."""
    model = TinyRecognizer()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    runner = SimpleNamespace(model=model, optim_wrapper=_optim_wrapper(optimizer))
    hook = ShardedCheckpointHook()
    hook.before_run(runner)
    assert 'head.weight' not in model.state_dict() and 'backbone.weight' in model.state_dict()
    hook.after_load_checkpoint(runner, {'state_dict': {}})
    assert 'head.weight' in model.state_dict()


def test_ranks_initialise_different_centres_reproducibly():
    def init(rank):
        torch.manual_seed(0)
        head = PartialFCHead(NUM_CLASSES, DIM)
        head.rank = rank
        head.init_weights()
        return head.weight.detach().clone()

    assert torch.equal(init(0), init(0))
    assert not torch.equal(init(0), init(1))
    bound = math.sqrt(6.0 / (NUM_CLASSES + DIM))
    assert init(1).abs().max() <= bound
