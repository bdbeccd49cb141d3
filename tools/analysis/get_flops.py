"""Print the parameters and FLOPs/MACs of a config's backbone at its input size.

``python tools/analysis/get_flops.py configs/iresnet50_am-softmax_vgg2.py [--shape 112 112]``

FLOPs are those of the convolutions and matrix products of one forward pass
of one image, 2 per multiply-add (see :mod:`facerec.utils.complexity`); MACs
are FLOPs / 2. Without ``--shape`` the input is the backbone's
``input_size`` (112x112 when it has none). With ``--shape`` a backbone that
takes ``input_size`` is built for that size.
"""

import argparse
import inspect
from typing import Tuple

from mmengine.config import DictAction

from facerec.registry import MODELS
from facerec.utils import load_config, register_all_modules
from facerec.utils.complexity import format_count, get_model_complexity


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Parameters and FLOPs of a config backbone')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--shape', type=int, nargs='+', help='input height and width (one value: square)'
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config values, e.g. model.backbone.depth=100',
    )
    return parser.parse_args()


def input_hw(shape, backbone) -> Tuple[int, int]:
    """The (height, width) to measure at."""
    if shape:
        if len(shape) == 1:
            return shape[0], shape[0]
        if len(shape) == 2:
            return shape[0], shape[1]
        raise ValueError(f'--shape takes one or two ints, got {shape}')
    size = getattr(backbone, 'input_size', 112)
    if isinstance(size, int):
        return size, size
    return int(size[0]), int(size[1])


def main() -> None:
    """Build the backbone of the config and print its complexity."""
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    register_all_modules()
    backbone_cfg = cfg.model.get('backbone', cfg.model)
    if args.shape:
        height, width = input_hw(args.shape, None)
        backbone_cls = MODELS.get(backbone_cfg['type'])
        if backbone_cls is not None and 'input_size' in inspect.signature(backbone_cls).parameters:
            backbone_cfg = dict(backbone_cfg, input_size=(height, width))
    backbone = MODELS.build(backbone_cfg)
    height, width = input_hw(args.shape, backbone)
    result = get_model_complexity(backbone, (3, height, width))
    print(f'Config: {args.config}')
    print(f'Backbone: {backbone_cfg["type"]}')
    print(f'Input shape: (1, 3, {height}, {width})')
    print(f'Params: {format_count(result["params"])} ({result["params"]})')
    print(f'FLOPs: {format_count(result["flops"])} ({result["flops"]})')
    print(f'MACs: {format_count(result["macs"])} ({result["macs"]})')
    print('FLOPs count 2 per multiply-add of convolutions and matrix products; MACs = FLOPs / 2.')


if __name__ == '__main__':
    main()
