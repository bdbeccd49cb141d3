"""Convert a foamliu/MobileFaceNet PyTorch state dict into a facerec checkpoint.

``python tools/model_converters/mobilefacenet_state_dict_to_facerec.py CONFIG SRC.pt OUT.pth``

CONFIG describes the facerec model (e.g. configs/pretrained/mobilefacenet_foamliu_ms1m.py).
The source is loaded weights-only and mapped onto the model (``conv3``'s bias folded into
the last batch norm); the converted model is then compared with a functional forward of
the source on ``--num-images`` crops of the config's test dataloader (cosine >= 0.9999 per
image, else nothing is written and the exit status is 1). OUT.pth holds the recogniser's
weights (``backbone.*``) and loads with ``tools/test.py`` and ``load_from``.
"""

import argparse
import sys

from mmengine.config import DictAction

from facerec.converters.state_dict_mapping import (
    ParityError,
    StateDictMismatchError,
    convert_foamliu_checkpoint,
)
from facerec.utils import load_config


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a foamliu/MobileFaceNet state dict into a facerec checkpoint'
    )
    parser.add_argument('config', help='config of the facerec model')
    parser.add_argument('source', help='the source state dict (.pt / .pth)')
    parser.add_argument('out', help='the facerec checkpoint to write (.pth)')
    parser.add_argument(
        '--num-images', type=int, default=300, help='test images of the parity check'
    )
    parser.add_argument('--no-parity', action='store_true', help='skip the parity check')
    parser.add_argument(
        '--min-cosine',
        type=float,
        default=0.9999,
        help='lowest cosine similarity per image allowed by the parity check',
    )
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config values (key=value)'
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        cfg = load_config(args.config, args.cfg_options)
        convert_foamliu_checkpoint(
            cfg,
            args.source,
            args.out,
            num_images=args.num_images,
            parity=not args.no_parity,
            min_cosine=args.min_cosine,
            config_path=args.config,
        )
    except (StateDictMismatchError, ParityError, FileNotFoundError, ValueError, TypeError) as e:
        print(f'Error: {e}', file=sys.stderr)
        return 1
    except KeyError as e:
        print(f'Error: {e.args[0] if e.args else e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
