"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--metric lfw]``."""

import argparse
import os

from facerec.utils import (
    add_config_args,
    build_runner,
    load_config,
    register_all_modules,
    set_test_metric,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a facerec model')
    parser.add_argument('config', help='config file (.py, .yml or .yaml)')
    parser.add_argument('checkpoint', help='checkpoint file (loaded weights-only)')
    parser.add_argument('--metric', help='metric to report, e.g. "lfw" (default: the config\'s)')
    parser.add_argument('--out', help='write per-sample results (LFW: one CSV row per pair)')
    args = add_config_args(parser).parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    args = parse_args()
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options, args.work_dir, args.launcher)
    cfg.load_from = args.checkpoint
    cfg.resume = False
    set_test_metric(cfg, args.metric, args.out)
    build_runner(cfg).test()


if __name__ == '__main__':
    main()
