"""Memory and step time of PartialFCHead against a replicated margin head on CPU ranks.

``python tools/analysis/benchmark_partial_fc.py`` runs, in one go, every combination of
identities (10k, 100k, 1M), embedding size (128, 256) and world size (1, 2, 4 gloo processes
on this machine) with a fixed global batch, and the replicated head (``AMSoftmaxHead``, the
same CosFace margin) in one process. It prints a Markdown table:

- ``classifier MiB/rank``: bytes of the head's tensors that live across steps on one rank,
  weights + gradient + SGD momentum (the gradient is freed between steps, as mmengine's
  ``zero_grad`` does, and counted at its size);
- ``peak RSS MiB/rank``: the largest resident size of a rank's process (cases run from
  small to large, so it is the current case's peak; it includes ~0.7 GiB of libraries and
  the transient logits of the step);
- ``step ms``: median wall time of a forward + backward + SGD step of the head alone, on
  random embeddings, with ``sample_rate`` 1.0 and 0.1 (the latter for Partial FC only).

A replicated head holds the whole classifier on every rank whatever the world size, so its
memory per rank is the one-process number (its step on W ranks would add an all-reduce of
the full gradient on top). Times on a shared machine are indicative.
"""

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

IDENTITIES = (10_000, 100_000, 1_000_000)
DIMS = (128, 256)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--identities', type=int, nargs='+', default=list(IDENTITIES))
    parser.add_argument('--dims', type=int, nargs='+', default=list(DIMS))
    parser.add_argument('--world-sizes', type=int, nargs='+', default=[1, 2, 4])
    parser.add_argument('--batch', type=int, default=32, help='global batch (all ranks)')
    parser.add_argument('--steps', type=int, default=1, help='timed steps after one warm-up')
    parser.add_argument(
        '--replicated-max-identities',
        type=int,
        default=100_000,
        help='time the replicated head up to this size; above it, its tensors are those of '
        'Partial FC on one rank with sample_rate=1 (the same computation), reported as such',
    )
    parser.add_argument('--sample-rates', type=float, nargs='+', default=[1.0, 0.1])
    return parser.parse_args()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def state_mib(head: torch.nn.Module, optimizer: torch.optim.Optimizer) -> float:
    total = 0
    for p in head.parameters():
        total += 2 * p.numel() * p.element_size()  # the weights and their gradient
        for value in optimizer.state.get(p, {}).values():
            if torch.is_tensor(value):
                total += value.numel() * value.element_size()
    return total / 2**20


def time_head(head, batch: int, dim: int, num_classes: int, steps: int, rank: int, world: int):
    """Median step time (ms) of ``head`` and its state size after the steps."""
    optimizer = torch.optim.SGD(head.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    gen = torch.Generator().manual_seed(rank)
    per_rank = batch // world
    times = []
    for step in range(steps + 1):
        feats = torch.randn(per_rank, dim, generator=gen)
        labels = torch.randint(0, num_classes, (per_rank,), generator=gen)
        if world > 1:
            dist.barrier()
        start = time.perf_counter()
        head.loss(feats, labels)['loss_cls'].backward()
        optimizer.step()
        optimizer.zero_grad()
        if world > 1:
            dist.barrier()
        if step:
            times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times), state_mib(head, optimizer)


def run_rank(rank: int, world: int, store: str, args: argparse.Namespace, out: str) -> None:
    torch.set_num_threads(1)
    if world > 1:
        dist.init_process_group('gloo', init_method=f'file://{store}', rank=rank, world_size=world)
    from facerec.models.heads import AMSoftmaxHead, PartialFCHead

    rows = []
    for num_classes in sorted(args.identities):
        for dim in sorted(args.dims):
            row = dict(world=world, identities=num_classes, dim=dim)
            for rate in args.sample_rates:
                head = PartialFCHead(
                    num_classes, dim, margin=dict(type='CosFaceMargin'), s=30.0, sample_rate=rate
                )
                ms, mib = time_head(head, args.batch, dim, num_classes, args.steps, rank, world)
                row[f'pfc_ms_{rate:g}'] = ms
                row['pfc_mib'] = mib
                del head
            row['pfc_rss'] = peak_rss_mib()
            if world == 1 and num_classes <= args.replicated_max_identities:
                head = AMSoftmaxHead(num_classes, dim)
                row['rep_ms'], row['rep_mib'] = time_head(
                    head, args.batch, dim, num_classes, args.steps, rank, world
                )
                row['rep_rss'] = peak_rss_mib()
                del head
            elif world == 1:
                row['rep_ms'], row['rep_mib'] = row['pfc_ms_1'], row['pfc_mib']
                row['rep_rss'], row['rep_from_pfc'] = row['pfc_rss'], True
            rows.append(row)
            if rank == 0:
                print(json.dumps(row), flush=True)
    if rank == 0:
        with open(out, 'w') as f:
            json.dump(rows, f)
    if world > 1:
        dist.destroy_process_group()


def table(rows, sample_rates) -> str:
    rates = ' | '.join(f'PFC step ms (r={r:g})' for r in sample_rates)
    lines = [
        f'| identities | dim | ranks | PFC classifier MiB/rank | PFC peak RSS MiB/rank | '
        f'{rates} | replicated classifier MiB/rank | replicated peak RSS MiB | '
        'replicated step ms |',
        '|' + '---:|' * (8 + len(sample_rates)),
    ]
    one = {(r['identities'], r['dim']): r for r in rows if r['world'] == 1}
    for r in sorted(rows, key=lambda r: (r['identities'], r['dim'], r['world'])):
        ref = one.get((r['identities'], r['dim']), {})
        times = ' | '.join(f'{r[f"pfc_ms_{x:g}"]:.0f}' for x in sample_rates)
        rep = '- | - | -'
        if r['world'] == 1 and ref:
            rep = f'{ref["rep_mib"]:.0f} | {ref["rep_rss"]:.0f} | {ref["rep_ms"]:.0f}'
        lines.append(
            f'| {r["identities"]:,} | {r["dim"]} | {r["world"]} | {r["pfc_mib"]:.0f} | '
            f'{r["pfc_rss"]:.0f} | {times} | {rep} |'
        )
    return '\n'.join(lines)


def main() -> None:
    args = parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for world in args.world_sizes:
            out = os.path.join(tmp, f'rows_{world}.json')
            store = os.path.join(tmp, f'store_{world}')
            print(f'# {world} rank(s)', flush=True)
            mp.start_processes(
                run_rank, args=(world, store, args, out), nprocs=world, start_method='spawn'
            )
            with open(out) as f:
                rows += json.load(f)
    print(
        f'\nGlobal batch {args.batch} ({args.batch} / ranks per rank), SGD momentum, '
        f'float32, {args.steps} timed steps, torch {torch.__version__}, '
        f'{os.cpu_count()} CPUs, one thread per rank.\n'
    )
    print(table(rows, args.sample_rates))
    if any(r.get('rep_from_pfc') for r in rows):
        print(
            '\n* the replicated head above --replicated-max-identities is not run again: on one '
            'process it holds the same tensors and does the same computation as Partial FC with '
            'sample_rate=1, whose numbers are shown. A replicated head needs this memory on '
            'every rank whatever the number of ranks.'
        )


if __name__ == '__main__':
    sys.exit(main())
