"""Training throughput of a config: the Runner against a bare PyTorch loop, the data pipeline
against the model, and the Runner beside CPU-bound processes.

``python tools/analysis/benchmark_train.py CONFIG [--iters 15] [--busy 1 2] [--threads
legacy default] [--memory-format contiguous channels_last]``

On the config's model, batch and training data, one run times

(a) the Runner's training iterations (``runner.train()`` with every hook of the config, data
    from the configured DataLoader workers), stopped after ``--warmup + --iters`` iterations;
(b) a bare PyTorch loop: the same model, optimizer and loss on batches already in memory
    (data preprocessor, forward, backward, optimizer step);
(c) the data pipeline alone: the training DataLoader with its configured workers;
(d) the model alone: forward, backward and optimizer step on one normalised batch in memory;

and prints images/s with the ratios Runner / bare loop (target >= 0.95) and pipeline / model
(target >= 2). ``--memory-format contiguous channels_last`` times every part in both
layouts (channels-last: the model converted as by ``ChannelsLastHook``, which the Runner
gets) and prints the channels-last speed-up. ``--busy N ...`` times the Runner again beside
N CPU-bound processes (in the first layout) and prints its throughput as a fraction of the
idle figure. ``--threads`` chooses the thread settings
(``default``: facerec's, see :mod:`facerec.utils.threads`; ``legacy``: the libraries' own);
each mode runs in a fresh process, so both are compared in one run.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional

RESULT_TAG = 'BENCHMARK_RESULT '
THREAD_MODES = ('default', 'legacy')
MEMORY_FORMATS = ('contiguous', 'channels_last')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='training config')
    parser.add_argument('--iters', type=int, default=15, help='timed iterations per measurement')
    parser.add_argument('--warmup', type=int, default=3, help='untimed iterations first')
    parser.add_argument(
        '--busy',
        type=int,
        nargs='*',
        default=[],
        metavar='N',
        help='also time the Runner beside N CPU-bound processes (e.g. --busy 1 2)',
    )
    parser.add_argument(
        '--threads',
        nargs='+',
        choices=THREAD_MODES,
        default=['default'],
        help="thread settings: facerec's defaults and/or the libraries' own (legacy)",
    )
    parser.add_argument(
        '--memory-format',
        nargs='+',
        choices=MEMORY_FORMATS,
        default=['contiguous'],
        help='layouts of the convolutions (channels_last: as with ChannelsLastHook)',
    )
    parser.add_argument(
        '--parts',
        nargs='+',
        choices=['runner', 'bare', 'pipeline', 'model'],
        default=['runner', 'bare', 'pipeline', 'model'],
        help='what to time without busy processes (with them: the Runner only)',
    )
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE')
    parser.add_argument('--measure', action='store_true', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --------------------------------------------------------------------------------------------
# Measurements, in a child process per thread mode and busy level.


def _config(args: argparse.Namespace, work_dir: str, legacy: bool):
    from mmengine.config import DictAction

    from facerec.utils import load_config, register_all_modules

    register_all_modules()
    parser = argparse.ArgumentParser()  # --cfg-options syntax of the tools
    parser.add_argument('--o', nargs='+', action=DictAction)
    cfg_options = parser.parse_args(['--o', *args.cfg_options]).o if args.cfg_options else None
    cfg = load_config(args.config, cfg_options, work_dir)
    if legacy:
        cfg.setdefault('env_cfg', {})['cpu_threads'] = 0
    cfg.train_cfg['val_interval'] = 10**9  # never validate
    hooks = [h for h in cfg.get('custom_hooks', []) if h.get('type') != 'ChannelsLastHook']
    if args.memory_format[0] == 'channels_last':
        hooks.append(dict(type='ChannelsLastHook'))
    cfg.custom_hooks = hooks
    return cfg


def _time_runner(cfg, warmup: int, iters: int) -> Dict[str, float]:
    """Seconds per iteration of ``runner.train()`` over ``iters`` iterations after ``warmup``."""
    from mmengine.hooks import Hook

    from facerec.utils import build_runner

    class _Done(Exception):
        pass

    class StopAfter(Hook):
        priority = 'LOWEST'

        def __init__(self) -> None:
            self.stamps: List[float] = []

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
            self.stamps.append(time.perf_counter())
            if len(self.stamps) > warmup + iters - 1:
                raise _Done

    runner = build_runner(cfg)
    hook = StopAfter()
    runner.register_hook(hook)
    try:
        runner.train()
    except _Done:
        pass
    if len(hook.stamps) < warmup + iters:
        raise RuntimeError(f'training stopped after {len(hook.stamps)} iterations')
    stamps = hook.stamps[warmup - 1 :] if warmup > 0 else [hook.stamps[0]] + hook.stamps
    n = len(stamps) - 1
    return dict(s_per_iter=(stamps[-1] - stamps[0]) / n, iters=n)


def _train_step(model, optimizer, batch: dict, preprocess: bool) -> None:
    data = model.data_preprocessor(batch, True) if preprocess else batch
    losses = model(**data, mode='loss')
    loss = sum(v for k, v in losses.items() if 'loss' in k)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def _time_steps(model, optimizer, batches: List[dict], preprocess: bool, n: int) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        _train_step(model, optimizer, batches[i % len(batches)], preprocess)
    return (time.perf_counter() - t0) / n


def measure(args: argparse.Namespace, legacy: bool, parts: List[str]) -> Dict[str, dict]:
    """Time ``parts`` in this process; returns seconds per iteration (or batch) per part."""
    import torch
    from mmengine.optim import build_optim_wrapper

    from facerec.engine.runners import FaceRunner
    from facerec.registry import MODELS
    from facerec.utils.threads import set_cpu_threads

    results: Dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as work_dir:
        cfg = _config(args, work_dir, legacy)
        set_cpu_threads(cfg.get('env_cfg', {}).get('cpu_threads'))
        loader_cfg = cfg.train_dataloader
        batch_size = loader_cfg['batch_size']
        results['info'] = dict(
            batch_size=batch_size,
            num_workers=loader_cfg.get('num_workers', 0),
            torch_threads=torch.get_num_threads(),
            omp_wait_policy=os.environ.get('OMP_WAIT_POLICY', '(unset)'),
        )
        kept: List[dict] = []
        if {'pipeline', 'bare', 'model'} & set(parts):
            import copy

            loader = FaceRunner.build_dataloader(copy.deepcopy(loader_cfg), seed=0)
            batches = iter(loader)
            for _ in range(max(1, args.warmup)):  # worker start-up
                kept.append(next(batches))
            t0 = time.perf_counter()
            for _ in range(args.iters):
                batch = next(batches, None)
                if batch is None:
                    batches = iter(loader)
                    batch = next(batches)
                if len(kept) < 4:
                    kept.append(batch)
            if 'pipeline' in parts:
                results['pipeline'] = dict(
                    s_per_iter=(time.perf_counter() - t0) / args.iters, iters=args.iters
                )
            del batches, loader
        if {'bare', 'model'} & set(parts):
            torch.manual_seed(0)
            model = MODELS.build(cfg.model)
            model.train()
            if args.memory_format[0] == 'channels_last':
                model.to(memory_format=torch.channels_last)
            optimizer = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
            if 'model' in parts:
                normalised = model.data_preprocessor(kept[0], True)
                _time_steps(model, optimizer, [normalised], False, args.warmup)
                results['model'] = dict(
                    s_per_iter=_time_steps(model, optimizer, [normalised], False, args.iters),
                    iters=args.iters,
                )
            if 'bare' in parts:
                _time_steps(model, optimizer, kept, True, args.warmup)
                half = max(1, args.iters // 2)
                first = _time_steps(model, optimizer, kept, True, half)
        if 'runner' in parts:
            results['runner'] = _time_runner(cfg, args.warmup, args.iters)
        if 'bare' in parts:  # the second half after the Runner, to average out drift
            second = _time_steps(model, optimizer, kept, True, half)
            results['bare'] = dict(s_per_iter=(first + second) / 2, iters=2 * half)
    return results


# --------------------------------------------------------------------------------------------
# The orchestrating process: busy processes, one child per measurement, the tables.


def start_busy(n: int) -> List[subprocess.Popen]:
    """Start ``n`` single-threaded CPU-bound processes."""
    code = 'while True:\n    pass\n'
    return [subprocess.Popen([sys.executable, '-c', code]) for _ in range(n)]


def stop_busy(procs: List[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait()


def run_child(
    args: argparse.Namespace, mode: str, parts: List[str], busy: int, layout: str = 'contiguous'
) -> Dict:
    """Run :func:`measure` in a fresh interpreter beside ``busy`` CPU-bound processes."""
    env = dict(os.environ)
    if mode == 'legacy':
        env.pop('OMP_WAIT_POLICY', None)
    else:  # what the tools set before torch is imported (facerec.utils.threads)
        env.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
    cmd = [sys.executable, __file__, args.config, '--measure', '--threads', mode]
    cmd += ['--memory-format', layout]
    cmd += ['--iters', str(args.iters), '--warmup', str(args.warmup), '--parts', *parts]
    if args.cfg_options:
        cmd += ['--cfg-options', *args.cfg_options]
    procs = start_busy(busy)
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    finally:
        stop_busy(procs)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_TAG)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-8000:])
        raise SystemExit(f'the measurement ({mode} threads, {layout}, {busy} busy) failed')
    return json.loads(lines[-1][len(RESULT_TAG) :])


def images_per_s(result: dict, batch_size: int) -> float:
    return batch_size / result['s_per_iter']


def report_parts(mode: str, res: Dict) -> None:
    info = res['info']
    bs = info['batch_size']
    print(
        f'\n{mode} threads: batch {bs}, {info["num_workers"]} DataLoader workers, '
        f'{info["torch_threads"]} torch threads, OMP_WAIT_POLICY={info["omp_wait_policy"]}'
    )
    names = {
        'runner': '(a) Runner train step',
        'bare': '(b) bare PyTorch loop',
        'pipeline': f'(c) data pipeline, {info["num_workers"]} workers',
        'model': '(d) model alone, in-memory tensors',
    }
    print('| measurement | s/iter | images/s |\n|---|---|---|')
    for key, label in names.items():
        if key in res:
            r = res[key]
            print(f'| {label} | {r["s_per_iter"]:.3f} | {images_per_s(r, bs):.1f} |')
    if 'runner' in res and 'bare' in res:
        ratio = res['bare']['s_per_iter'] / res['runner']['s_per_iter']
        print(f'Runner / bare loop: {ratio:.3f} (target >= 0.95)')
    if 'pipeline' in res and 'model' in res:
        ratio = res['model']['s_per_iter'] / res['pipeline']['s_per_iter']
        print(f'pipeline / model consumption: {ratio:.2f} (target >= 2)')


def report_layouts(layouts: Dict[str, Dict]) -> None:
    """Print the channels-last speed-up of every part timed in both layouts."""
    plain, nhwc = layouts['contiguous'], layouts['channels_last']
    parts = [k for k in ('runner', 'bare', 'model') if k in plain and k in nhwc]
    cells = ', '.join(f'{k} {plain[k]["s_per_iter"] / nhwc[k]["s_per_iter"]:.2f}x' for k in parts)
    print(f'channels_last / contiguous speed: {cells}')


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if args.measure:
        results = measure(args, args.threads[0] == 'legacy', args.parts)
        print(RESULT_TAG + json.dumps(results), flush=True)
        return
    print(f'{args.config}: {os.cpu_count()} CPUs, {len(os.sched_getaffinity(0))} usable')
    idle: Dict[str, Dict] = {}
    for mode in args.threads:
        layouts: Dict[str, Dict] = {}
        for layout in args.memory_format:
            layouts[layout] = run_child(args, mode, args.parts, 0, layout)
            label = mode if layout == 'contiguous' else f'{mode}, {layout}'
            report_parts(label, layouts[layout])
        if len(layouts) == 2:
            report_layouts(layouts)
        idle[mode] = layouts[args.memory_format[0]]
    busy_levels = [n for n in args.busy if n > 0]
    if not busy_levels:
        return
    if 'runner' not in args.parts:
        raise SystemExit('--busy times the Runner: keep "runner" in --parts')
    table: Dict[str, Dict[int, float]] = {}
    for mode in args.threads:
        bs = idle[mode]['info']['batch_size']
        table[mode] = {0: images_per_s(idle[mode]['runner'], bs)}
        for n in busy_levels:
            res = run_child(args, mode, ['runner'], n, args.memory_format[0])
            table[mode][n] = images_per_s(res['runner'], bs)
            print(f'{mode} threads, {n} busy: Runner {table[mode][n]:.1f} images/s', flush=True)
    fair = {n: 1 / (1 + n) for n in busy_levels}
    head = ' | '.join(f'{n} busy' for n in busy_levels)
    ratios = ' | '.join(f'{n} busy / idle' for n in busy_levels)
    print(f'\nRunner images/s beside CPU-bound processes\n| threads | idle | {head} | {ratios} |')
    print('|---' * (2 + 2 * len(busy_levels)) + '|')
    for mode, row in table.items():
        cells = ' | '.join(f'{row[n]:.1f}' for n in busy_levels)
        frac = ' | '.join(f'{row[n] / row[0]:.2f}' for n in busy_levels)
        print(f'| {mode} | {row[0]:.1f} | {cells} | {frac} |')
    print(
        'fair shares (one CPU-bound process counting as much as the trainer): '
        + ', '.join(f'{n} busy {fair[n]:.2f}' for n in busy_levels)
        + ' (targets: 1 busy >= 0.45, 2 busy >= 0.30)'
    )


if __name__ == '__main__':
    main()
