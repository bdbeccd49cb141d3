"""Evaluation throughput: ``tools/test.py``'s Runner against a bare loop over the same crops.

``python tools/analysis/benchmark_test.py CONFIG [--checkpoint CKPT]``

Times (a) the Runner's test run on the config's test set (DataLoader workers loading and
aligning the images, the model with the config's flip test, the metric's per-batch work), as
``tools/test.py`` logs it; (b) a bare ``torch.no_grad`` loop over the same aligned crops
already in memory (data preprocessor and model, with the flip pass if the config asks for
it); (c) the same loop without the flip pass. Prints images/s, the ratio Runner / bare loop
and the cost of the flip test (target: 2x the forward work, not more). Without a checkpoint
the model keeps its random weights: the timing is the same, the metric meaningless.
"""

import argparse
import tempfile
import time
from typing import List, Optional


def bare_rate(model, batches: List[dict], flip: bool, rounds: int) -> float:
    """Images/s of the data preprocessor and the model over ``batches`` in memory."""
    import torch

    model.flip_test = flip
    images = sum(len(b['inputs']) for b in batches)
    best = float('inf')
    with torch.no_grad():
        model.predict(**model.data_preprocessor(batches[0], False))  # warm-up
        for _ in range(rounds):
            t0 = time.perf_counter()
            for batch in batches:
                data = model.data_preprocessor(batch, False)
                model.predict(**data)
            best = min(best, time.perf_counter() - t0)
    return images / best


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--checkpoint', help='weights (default: random ones)')
    parser.add_argument('--rounds', type=int, default=3, help='bare-loop passes (best is kept)')
    parser.add_argument('--cpu-threads', type=int, help='env_cfg.cpu_threads')
    args = parser.parse_args(argv)

    from facerec.utils.threads import apply_cpu_threads_arg, prefer_passive_openmp

    prefer_passive_openmp(reexec=True)
    import copy

    from facerec.engine.hooks import ThroughputHook
    from facerec.utils import build_runner, load_config, register_all_modules

    register_all_modules()
    with tempfile.TemporaryDirectory() as work_dir:
        cfg = load_config(args.config, work_dir=work_dir)
        apply_cpu_threads_arg(cfg, args.cpu_threads)
        cfg.load_from, cfg.resume = args.checkpoint, False
        loader_cfg = copy.deepcopy(cfg.test_dataloader)
        runner = build_runner(cfg)
        hook = ThroughputHook()
        runner.register_hook(hook)
        runner.test()
        model = runner.model.eval()
        flip = bool(model.flip_test)
        loader = runner.build_dataloader(loader_cfg, seed=0)
        batches = list(loader)
        with_flip = without = 0.0
        for _ in range(args.rounds):  # interleaved, so that load changes hit both alike
            with_flip = max(with_flip, bare_rate(model, batches, flip, 1))
            if flip:
                without = max(without, bare_rate(model, batches, False, 1))
        without = without if flip else with_flip

    import torch

    n = hook.images
    print(
        f'\n{args.config}: {n} images, batch {loader_cfg["batch_size"]}, '
        f'{loader_cfg.get("num_workers", 0)} workers, {torch.get_num_threads()} torch threads, '
        f'flip test {"on" if flip else "off"}'
    )
    print('| measurement | images/s |\n|---|---|')
    print(f'| (a) Runner test (tools/test.py) | {hook.images_per_s:.1f} |')
    print(f'| (b) bare loop, crops in memory | {with_flip:.1f} |')
    if flip:
        print(f'| (c) bare loop without the flip pass | {without:.1f} |')
    print(f'Runner / bare loop: {hook.images_per_s / with_flip:.3f}')
    if flip:
        print(f'flip test cost: {without / with_flip:.2f}x the time without it (target 2x)')


if __name__ == '__main__':
    main()
