"""Take in an OpenVINO IR as a facerec checkpoint of the architecture a config names.

``python tools/model_converters/openvino_to_facerec.py CONFIG MODEL.xml OUT.pth`` maps the IR's
weights onto the config's model (batch norms folded into convolutions load as the
convolution's bias on an identity batch norm), writes the checkpoint that ``tools/test.py`` and
``load_from`` load, and prints how the converted PyTorch model agrees with the IR on aligned
images of the config's test set (``--num-images``, 300 by default): the cosine of each
embedding with the IR's, or the landmark difference as a fraction of the crop size.
"""

import argparse
import sys

import torch
from mmengine.config import DictAction

from facerec.converters import (
    ConversionError,
    load_ir_into_model,
    read_ir_layers,
    save_converted_checkpoint,
)
from facerec.deployment import (
    ExportWrapper,
    build_model,
    check_parity,
    find_input_size,
    load_dataset_images,
    load_exported_model,
)
from facerec.deployment.backend_model import config_metadata
from facerec.deployment.metadata import file_sha256
from facerec.utils import load_config, register_all_modules

#: Least cosine of every embedding with the source's, by the IR's weight precision.
MIN_COSINE = {'fp32': 0.9999, 'fp16': 0.999, 'int8': 0.99}
#: Largest landmark difference, as a fraction of the crop size.
MAX_LANDMARK_DIFF = 1e-3


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='OpenVINO IR -> facerec checkpoint')
    parser.add_argument('config', help='config naming the architecture and preprocessing')
    parser.add_argument('model', help='OpenVINO .xml file (its .bin beside it)')
    parser.add_argument('out', help='checkpoint to write (.pth)')
    parser.add_argument('--num-images', type=int, default=300, help='images of the parity check')
    parser.add_argument('--no-parity', action='store_true', help='skip the parity check')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config values (key=value)'
    )
    return parser.parse_args()


def parity_ok(stats: dict, task: str, precision: str) -> bool:
    """Print the parity report and tell whether it meets the bound of the task."""
    if task == 'landmarks':
        print(
            f'Parity on {stats["num_samples"]} crops: max landmark difference '
            f'{stats["max_abs_diff"]:.2e} of the crop size (bound {MAX_LANDMARK_DIFF:g}), '
            f'mean {stats["mean_abs_diff"]:.2e}'
        )
        return stats['max_abs_diff'] <= MAX_LANDMARK_DIFF
    bound = MIN_COSINE[precision]
    print(
        f'Parity on {stats["num_samples"]} aligned crops ({precision} IR): cosine min '
        f'{stats["cosine_min"]:.6f} mean {stats["cosine_mean"]:.6f} (bound {bound}), '
        f'max abs diff {stats["max_abs_diff"]:.3g} of embeddings up to {stats["max_abs_ref"]:.3g}'
    )
    return stats['cosine_min'] >= bound


def main() -> int:
    args = parse_args()
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    model = build_model(cfg)
    wrapper = ExportWrapper(model).eval()
    size = find_input_size(model)
    try:
        layers = read_ir_layers(args.model)
        loaded = load_ir_into_model(wrapper, layers, torch.zeros(1, 3, *size))
    except ConversionError as err:
        print(f'{args.model} does not fit the model of {args.config}: {err}', file=sys.stderr)
        return 1
    names = [name.partition('.')[2] for name in loaded]
    meta = dict(source=args.model, source_sha256=file_sha256(args.model), config=args.config)
    skipped = save_converted_checkpoint(model, args.out, names, meta)
    print(f'{len(layers)} IR layers loaded into {len(names)} modules; wrote {args.out}')
    if skipped:
        print(
            f'Not in the IR, left out of the checkpoint: {len(skipped)} tensors ({skipped[0]}, ...)'
        )
    if args.no_parity:
        return 0
    source = load_exported_model(args.model, meta=config_metadata(cfg, args.model))
    images = load_dataset_images(cfg, args.num_images)
    stats = check_parity(wrapper, source, images)
    if not parity_ok(stats, source.task, source.meta['precision']):
        print('Parity check FAILED: the converted model does not compute what the IR does')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
