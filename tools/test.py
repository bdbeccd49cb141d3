"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--metric lfw]``.

With ``--backend openvino|onnxruntime`` CHECKPOINT is an exported ``.xml`` / ``.onnx``
model (see tools/deployment/export.py), evaluated with the same metrics.
"""

import argparse
import os

from facerec.utils import (
    add_config_args,
    build_runner,
    load_config,
    register_all_modules,
    set_test_metric,
)
from facerec.utils.threads import (
    add_cpu_threads_arg,
    apply_cpu_threads_arg,
    prefer_passive_openmp,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a facerec model')
    parser.add_argument('config', help='config file (.py, .yml or .yaml)')
    parser.add_argument(
        'checkpoint',
        help='checkpoint file (loaded weights-only), or the exported model with --backend',
    )
    parser.add_argument('--metric', help='metric to report, e.g. "lfw" (default: the config\'s)')
    parser.add_argument('--out', help='write per-sample results (LFW: one CSV row per pair)')
    parser.add_argument(
        '--backend',
        choices=['pytorch', 'openvino', 'onnxruntime'],
        default='pytorch',
        help='run the PyTorch checkpoint, or an exported OpenVINO .xml / ONNX .onnx model',
    )
    parser.add_argument('--device', default='CPU', help='device of the exported-model backend')
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
    if args.backend == 'pytorch':
        cfg.load_from = args.checkpoint
        cfg.resume = False
    else:
        from facerec.deployment import use_exported_model

        use_exported_model(cfg, args.checkpoint, args.backend, args.device)
    set_test_metric(cfg, args.metric, args.out)
    runner = build_runner(cfg)
    runner.register_hook(dict(type='ThroughputHook'))  # logs images/s at the end
    runner.test()


if __name__ == '__main__':
    main()
