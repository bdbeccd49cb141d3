"""Compare an exported model with its PyTorch checkpoint on real test images.

``python tools/deployment/parity.py CONFIG CHECKPOINT MODEL [--num-images N]`` prints the
max abs difference and the mean / min cosine similarity of the outputs.
"""

import argparse
import json

from mmengine.config import DictAction

from facerec.deployment import ExportWrapper, build_model
from facerec.deployment.export_model import verify_exported
from facerec.utils import load_config, register_all_modules


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Exported model vs PyTorch on test images')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint the model was exported from')
    parser.add_argument('model', help='exported .onnx or .xml file (with its .json)')
    parser.add_argument('--num-images', type=int, default=200)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--json', action='store_true', help='also print the numbers as JSON')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config values (key=value)'
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    wrapper = ExportWrapper(build_model(cfg, args.checkpoint))
    stats = verify_exported(wrapper, args.model, cfg, args.num_images, seed=args.seed)
    if args.json:
        print(json.dumps(stats))


if __name__ == '__main__':
    main()
