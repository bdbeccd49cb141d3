"""Test metric against training time: test the checkpoints a run wrote at chosen minutes.

    python tools/analysis/checkpoint_curve.py CONFIG WORK_DIR [--minutes 10 20 40 60]

Each checkpoint records when it was saved (``meta.time``) and when its run started (the
timestamp that ends ``meta.experiment_name``); their difference is the wall-clock training
time, start-up and checkpointing included. For every requested minute the last checkpoint
saved by then is tested once with the config's test set and metric (``--metric`` to choose
another), and a markdown table of minutes, iteration and metrics is printed. The rows are
also written to ``WORK_DIR/curve.json``. A resumed run restarts the clock: test the
checkpoints of one uninterrupted run.
"""

import argparse
import glob
import json
import os.path as osp
import re
import time
from typing import Dict, List, Optional, Sequence

import torch

_STAMP = re.compile(r'(\d{8}_\d{6})$')


def _parse_stamp(stamp: str, path: str, key: str) -> float:
    try:
        return time.mktime(time.strptime(stamp, '%Y%m%d_%H%M%S'))
    except ValueError as err:
        raise ValueError(f'{path}: meta.{key} {stamp!r} is not a YYYYMMDD_HHMMSS time') from err


def checkpoint_minutes(path: str) -> Dict:
    """Return ``dict(path, iter, epoch, minutes)`` of a checkpoint from its ``meta``."""
    meta = torch.load(path, map_location='cpu', weights_only=False, mmap=True).get('meta')
    if not isinstance(meta, dict) or 'time' not in meta or 'experiment_name' not in meta:
        raise ValueError(
            f'{path}: no meta.time / meta.experiment_name (not an mmengine checkpoint)'
        )
    match = _STAMP.search(str(meta['experiment_name']))
    if match is None:
        raise ValueError(
            f'{path}: meta.experiment_name {meta["experiment_name"]!r} does not end with the '
            'run start time'
        )
    start = _parse_stamp(match.group(1), path, 'experiment_name')
    saved = _parse_stamp(str(meta['time']), path, 'time')
    return dict(
        path=path,
        iter=int(meta.get('iter', 0)),
        epoch=int(meta.get('epoch', 0)),
        minutes=(saved - start) / 60.0,
    )


def pick_checkpoints(checkpoints: Sequence[Dict], minutes: Sequence[float]) -> List[Dict]:
    """For each requested minute, the last checkpoint saved at or before it (by training
    time); minutes before the first checkpoint are skipped, and a checkpoint picked twice
    appears once."""
    ordered = sorted(checkpoints, key=lambda c: c['minutes'])
    picked: List[Dict] = []
    for minute in sorted(minutes):
        before = [c for c in ordered if c['minutes'] <= minute]
        if before and (not picked or picked[-1]['path'] != before[-1]['path']):
            picked.append(dict(before[-1], requested=minute))
    return picked


def format_rows(rows: Sequence[Dict]) -> str:
    """A markdown table of the tested checkpoints."""
    keys: List[str] = []
    for row in rows:
        keys += [k for k in row['metrics'] if k not in keys]
    lines = [
        '| minutes | iteration | ' + ' | '.join(keys) + ' |',
        '|---|---|' + '---|' * len(keys),
    ]
    for row in rows:
        values = [row['metrics'].get(k, '') for k in keys]
        cells = [f'{v:.4f}' if isinstance(v, float) else str(v) for v in values]
        lines.append(f'| {row["minutes"]:.1f} | {row["iter"]} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='the config the run was trained with')
    parser.add_argument('work_dir', help="the run's work directory (its *.pth files)")
    parser.add_argument(
        '--minutes', type=float, nargs='+', default=[10, 20, 40, 60], help='training minutes'
    )
    parser.add_argument('--metric', help='metric to report, e.g. "lfw" (default: the config\'s)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    paths = sorted(glob.glob(osp.join(args.work_dir, '*.pth')))
    paths = [p for p in paths if not osp.basename(p).startswith('best_')]  # copies
    if not paths:
        raise FileNotFoundError(f'no checkpoint (*.pth) in {args.work_dir}')
    picked = pick_checkpoints([checkpoint_minutes(p) for p in paths], args.minutes)
    if not picked:
        raise ValueError(f'no checkpoint in {args.work_dir} was saved by {max(args.minutes)} min')

    from mmengine.runner import load_checkpoint

    from facerec.utils import build_runner, load_config, register_all_modules, set_test_metric

    register_all_modules()
    cfg = load_config(args.config, work_dir=osp.join(args.work_dir, 'curve'))
    cfg.load_from, cfg.resume = None, False
    set_test_metric(cfg, args.metric)
    runner = build_runner(cfg)
    rows = []
    for ckpt in picked:
        load_checkpoint(runner.model, ckpt['path'], map_location='cpu', logger=runner.logger)
        metrics = runner.test()
        rows.append(dict(ckpt, metrics={k: float(v) for k, v in metrics.items()}))
    with open(osp.join(args.work_dir, 'curve.json'), 'w') as f:
        json.dump(rows, f, indent=2)
    print(format_rows(rows))


if __name__ == '__main__':
    main()
