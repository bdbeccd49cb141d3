"""Export a trained model to ONNX or OpenVINO IR.

``python tools/deployment/export.py CONFIG CHECKPOINT --format onnx|openvino [--fp16|--int8]``

The exported graph takes float32 (N, 3, H, W) BGR 0..255 images named ``input`` (dynamic
batch) and returns ``embedding`` (N, D) or ``landmarks`` (N, K, 2); a ``.json`` sidecar
with the same stem describes it. ``--verify N`` compares it with PyTorch on N test images.
"""

import argparse

from mmengine.config import DictAction

from facerec.deployment import export_from_config
from facerec.deployment.onnx_export import DEFAULT_OPSET
from facerec.utils import load_config, register_all_modules


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Export a facerec model to ONNX or OpenVINO')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file (loaded weights-only)')
    parser.add_argument('--format', choices=['onnx', 'openvino'], default='onnx')
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument('--fp16', action='store_true', help='store the weights as float16')
    precision.add_argument(
        '--int8', action='store_true', help='post-training int8 quantisation with NNCF'
    )
    parser.add_argument(
        '--calib-samples', type=int, default=300, help='calibration images for --int8'
    )
    parser.add_argument(
        '--calib-data',
        choices=['val', 'test', 'train'],
        default='val',
        help='dataloader of the calibration images (default: val)',
    )
    parser.add_argument(
        '--out', help='output .onnx / .xml (default: next to the checkpoint, same stem)'
    )
    parser.add_argument(
        '--verify',
        type=int,
        nargs='?',
        const=200,
        default=0,
        metavar='N',
        help='compare with PyTorch on N test images (default N: 200)',
    )
    parser.add_argument(
        '--input-size',
        type=int,
        nargs='+',
        metavar='SIZE',
        help="H W (or one value for square); default: the backbone's input_size",
    )
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET, help='ONNX opset')
    parser.add_argument('--seed', type=int, default=0, help='seed of the image choice')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config values (key=value)'
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    precision = 'fp16' if args.fp16 else 'int8' if args.int8 else 'fp32'
    export_from_config(
        cfg,
        args.checkpoint,
        output=args.out,
        fmt=args.format,
        precision=precision,
        calib_samples=args.calib_samples,
        calib_data=args.calib_data,
        verify=args.verify,
        input_size=args.input_size,
        opset_version=args.opset,
        config_path=args.config,
        seed=args.seed,
    )


if __name__ == '__main__':
    main()
