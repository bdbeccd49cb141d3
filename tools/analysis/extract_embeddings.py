"""Embed every image of a training set once with a model, for distillation from a table.

``python tools/analysis/extract_embeddings.py CFG CKPT --out teacher.npz [--data-config CFG2]``

``CKPT`` is a checkpoint of ``CFG``'s model (``.pth``, loaded weights-only) or an exported
model (``.xml`` / ``.onnx``; a released IR without sidecar is described by ``CFG``). The
images are those of the train dataset of ``--data-config`` (default ``CFG``), each prepared by
``CFG``'s test pipeline (the model's own alignment, no augmentation). The ``.npz`` holds
``img_path`` (strings, as the dataset gives them) and ``embeddings`` (float32 ``(N, D)``,
not L2-normalised), plain arrays that ``np.load(..., allow_pickle=False)`` reads; with
``--flip`` also ``embeddings_flip``, those of each crop mirrored. A distiller uses it with
``teacher=dict(embeddings='teacher.npz')``; the targets are those of the unaugmented images
(of the mirrored ones for samples that ``RandomFlip`` flipped, with ``--flip``).
"""

import argparse
import copy
import os.path as osp

import numpy as np
import torch


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help="the model's config (its test pipeline aligns the faces)")
    parser.add_argument('checkpoint', help='a .pth checkpoint or an exported .xml/.onnx model')
    parser.add_argument('--out', required=True, help='the .npz file to write')
    parser.add_argument(
        '--data-config', help='the config whose train dataset is embedded (default: config)'
    )
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument(
        '--flip', action='store_true', help='also embed each crop mirrored (embeddings_flip)'
    )
    return parser.parse_args()


def extract_embeddings(
    config: str,
    checkpoint: str,
    data_config: str = None,
    batch_size: int = 64,
    flip: bool = False,
) -> dict:
    """Embed the train dataset of ``data_config`` with the model of ``config``.

    Returns:
        ``dict(img_path=array of str, embeddings=float32 (N, D))``, plus ``embeddings_flip``
        (the crops mirrored) with ``flip``.
    """
    from mmengine.config import Config

    from facerec.deployment.metadata import config_test_pipeline
    from facerec.models.distillers import FrozenTeacher
    from facerec.registry import DATASETS
    from facerec.utils import register_all_modules

    register_all_modules()
    model_cfg = Config.fromfile(config)
    pipeline = config_test_pipeline(model_cfg)
    if not pipeline:
        raise ValueError(f'{config} has no test or val pipeline to prepare the images with')
    data_cfg = Config.fromfile(data_config or config)
    loader = data_cfg.get('train_dataloader')
    if not isinstance(loader, dict) or not isinstance(loader.get('dataset'), dict):
        raise KeyError(f'{data_config or config} has no train_dataloader.dataset')
    dataset_cfg = copy.deepcopy(loader['dataset'])
    dataset_cfg['pipeline'] = copy.deepcopy(pipeline)
    dataset = DATASETS.build(dataset_cfg)

    key = 'checkpoint' if osp.splitext(checkpoint)[1].lower() == '.pth' else 'model'
    teacher = FrozenTeacher({'config': config, key: checkpoint}).load()
    paths, chunks, flipped, batch = [], [], [], []

    def flush() -> None:
        if batch:
            images = torch.stack(batch)
            chunks.append(teacher(images).cpu().numpy().astype(np.float32))
            if flip:
                mirrored = torch.flip(images, dims=[-1])
                flipped.append(teacher(mirrored).cpu().numpy().astype(np.float32))
            batch.clear()

    for i in range(len(dataset)):
        packed = dataset[i]
        path = packed['data_samples'].metainfo.get('img_path')
        if path is None:
            raise KeyError(f'Sample {i} of {type(dataset).__name__} has no img_path')
        paths.append(str(path))
        batch.append(packed['inputs'])
        if len(batch) == batch_size:
            flush()
    flush()
    dim = chunks[0].shape[1] if chunks else 0
    embeddings = np.concatenate(chunks) if chunks else np.zeros((0, dim), np.float32)
    table = dict(img_path=np.array(paths, dtype=str), embeddings=embeddings)
    if flip:
        table['embeddings_flip'] = (
            np.concatenate(flipped) if flipped else np.zeros((0, dim), np.float32)
        )
    return table


def main() -> None:
    args = parse_args()
    table = extract_embeddings(
        args.config, args.checkpoint, args.data_config, args.batch_size, args.flip
    )
    np.savez(args.out, **table)
    print(
        f'Wrote {len(table["img_path"])} embeddings of size {table["embeddings"].shape[1]} '
        f'to {args.out}'
    )


if __name__ == '__main__':
    main()
