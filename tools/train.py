"""Train a model from a config: ``python tools/train.py CONFIG [options]``."""

import argparse
import os

from facerec.utils import (
    add_config_args,
    build_runner,
    enable_amp,
    exit_on_signals,
    load_config,
    register_all_modules,
)
from facerec.utils.threads import (
    add_cpu_threads_arg,
    apply_cpu_threads_arg,
    prefer_passive_openmp,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a facerec model')
    parser.add_argument('config', help='config file (.py, .yml or .yaml)')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from CKPT, or from the latest checkpoint of the work dir if no CKPT; '
        'the checkpoint is loaded weights-only (tensors and plain data)',
    )
    parser.add_argument(
        '--unsafe-resume',
        action='store_true',
        help='resume with full unpickling, which runs any code the checkpoint holds: only for '
        'a checkpoint you trust that weights-only loading refuses',
    )
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    args = add_cpu_threads_arg(add_config_args(parser)).parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    prefer_passive_openmp(reexec=True)
    args = parse_args()
    register_all_modules()
    cfg = load_config(
        args.config, args.cfg_options, args.work_dir, args.launcher, args.cfg_new_keys
    )
    apply_cpu_threads_arg(cfg, args.cpu_threads)
    if args.amp:
        enable_amp(cfg)
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.unsafe_resume and not cfg.get('resume'):
        raise ValueError('--unsafe-resume applies to resuming: pass --resume [CKPT] too')
    with exit_on_signals():
        runner = build_runner(cfg)
        if args.unsafe_resume:
            if not hasattr(runner, 'unsafe_resume'):
                raise TypeError(f'--unsafe-resume needs FaceRunner, not {type(runner).__name__}')
            runner.unsafe_resume = True
        runner.train()


if __name__ == '__main__':
    main()
