"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--metric lfw]``."""

import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction

from facerec.utils import build_runner, register_all_modules, set_test_metric


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a facerec model')
    parser.add_argument('config', help='config file (.py, .yml or .yaml)')
    parser.add_argument('checkpoint', help='checkpoint file (loaded weights-only)')
    parser.add_argument('--metric', help='metric to report, e.g. "lfw" (default: the config\'s)')
    parser.add_argument('--out', help='write per-sample results (LFW: one CSV row per pair)')
    parser.add_argument('--work-dir', help='folder for the test logs')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config values, e.g. test_dataloader.batch_size=32',
    )
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm'], default='none', help='job launcher'
    )
    parser.add_argument('--local-rank', '--local_rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    args = parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    cfg.resume = False
    set_test_metric(cfg, args.metric, args.out)
    build_runner(cfg).test()


if __name__ == '__main__':
    main()
