"""Export a trained model from its config and checkpoint: what tools/deployment/export.py runs."""

import os.path as osp
from typing import Any, Callable, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from facerec.version import __version__

from .dataset_images import load_dataset_images
from .export_wrapper import INPUT_NAME, OUTPUT_NAMES, ExportWrapper, find_input_size
from .metadata import (
    INPUT_FORMAT,
    alignment_of,
    config_test_pipeline,
    file_sha256,
    sidecar_path,
    write_metadata,
)
from .onnx_export import DEFAULT_OPSET, export_onnx
from .openvino_export import export_openvino
from .parity import check_parity, format_parity
from .quantization import has_fake_quantizers, quantize_int8
from .runtime import load_exported_model

FORMATS = {'onnx': '.onnx', 'openvino': '.xml'}


def build_model(cfg: Any, checkpoint: Optional[str] = None) -> nn.Module:
    """Build ``cfg.model`` and load a checkpoint into it (weights-only, strict), in eval mode."""
    from mmengine.runner import load_checkpoint

    import facerec.engine.runners  # noqa: F401 (weights-only local checkpoint loading)
    from facerec.registry import MODELS
    from facerec.utils import register_all_modules

    register_all_modules()
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        try:
            load_checkpoint(model, checkpoint, map_location='cpu', strict=True, logger='silent')
        except RuntimeError as err:
            if 'state_dict' not in str(err) and 'size mismatch' not in str(err):
                raise  # an unreadable file: the loader's message says so
            raise RuntimeError(
                f'Checkpoint {checkpoint} does not fit the model of the config '
                f'({type(model).__name__}): {_shorten_key_lists(str(err))}'
            ) from None
        except (KeyError, EOFError) as err:
            raise RuntimeError(
                f'Cannot read checkpoint {checkpoint} (not a torch checkpoint?): '
                f'{type(err).__name__}: {err}'
            ) from err
    return model.eval()


def _shorten_key_lists(message: str, keep: int = 5) -> str:
    """Cut a state-dict loading error to the first few keys of each kind and counts."""
    kept, extra = [], 0
    for line in message.strip().splitlines():
        line = line.strip()
        if not line:
            continue
        head, sep, keys = line.partition(': ')
        if sep and ('missing keys' in head or 'unexpected key' in head):
            names = [k for k in keys.split(', ') if k]
            if len(names) > keep:
                line = f'{head}: {", ".join(names[:keep])} and {len(names) - keep} more'
        elif (
            line.startswith('size mismatch')
            and sum(x.startswith('size mismatch') for x in kept) >= 2
        ):
            extra += 1
            continue
        kept.append(line)
    if extra:
        kept.append(f'and {extra} more size mismatches')
    return '; '.join(kept)


def default_output_path(checkpoint: str, fmt: str, precision: str) -> str:
    """``<checkpoint folder>/<checkpoint stem>[_fp16|_int8].onnx|.xml``."""
    stem = osp.splitext(checkpoint)[0]
    suffix = '' if precision == 'fp32' else f'_{precision}'
    return f'{stem}{suffix}{FORMATS[fmt]}'


def _flip_test(model: nn.Module) -> bool:
    """Whether the model sums the embeddings of each image and its mirror at test time."""
    return any(bool(getattr(m, 'flip_test', False)) for m in model.modules())


def export_from_config(
    cfg: Any,
    checkpoint: str,
    output: Optional[str] = None,
    fmt: str = 'onnx',
    precision: str = 'fp32',
    calib_samples: int = 300,
    calib_data: str = 'val',
    verify: int = 0,
    input_size: Optional[Sequence[int]] = None,
    opset_version: int = DEFAULT_OPSET,
    config_path: Optional[str] = None,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> dict:
    """Export the model of a config with its trained weights, write the sidecar, verify.

    Args:
        cfg: The loaded config.
        checkpoint: The ``.pth`` checkpoint (loaded weights-only).
        output: The ``.onnx`` / ``.xml`` file; default :func:`default_output_path`.
        fmt: ``'onnx'`` or ``'openvino'``.
        precision: ``'fp32'``, ``'fp16'`` (weights stored as float16) or ``'int8'``
            (post-training quantisation with NNCF on ``calib_samples`` images of the
            config's val dataloader). A model that already carries NNCF fake quantizers
            (quantisation-aware training) exports as int8 with ``'fp32'`` or ``'int8'``.
        calib_samples: Calibration images for ``'int8'``.
        calib_data: The dataloader they come from: ``'val'`` (default), ``'test'`` or
            ``'train'`` (a dataloader of another split than the one you report keeps the
            calibration away from the test images).
        verify: Compare the exported model with the PyTorch one on this many images of
            the test dataloader (0: no check); the numbers go into the sidecar.
        input_size: ``(H, W)``; default: the ``input_size`` of the model's backbone.
        opset_version: ONNX opset.
        config_path: The config file, recorded in the sidecar.
        seed: Seed of the choice of calibration and verification images.
        log: Where progress messages go.

    Returns:
        The sidecar dict (also written next to the model).
    """
    if fmt not in FORMATS:
        raise ValueError(f'format must be one of {sorted(FORMATS)}, got {fmt!r}')
    if calib_data not in ('val', 'test', 'train'):
        raise ValueError(f"calib_data must be 'val', 'test' or 'train', got {calib_data!r}")
    if precision not in ('fp32', 'fp16', 'int8'):
        raise ValueError(f"precision must be 'fp32', 'fp16' or 'int8', got {precision!r}")
    model = build_model(cfg, checkpoint)
    size = _resolve_input_size(model, input_size)
    wrapper = ExportWrapper(model).eval()
    quantized = has_fake_quantizers(model)
    if quantized and precision == 'fp16':
        raise ValueError(
            'The model carries NNCF fake quantizers (a quantised model): it exports as int8; '
            'drop --fp16'
        )
    output = output or default_output_path(checkpoint, fmt, 'int8' if quantized else precision)
    if not output.endswith(FORMATS[fmt]):
        raise ValueError(f'A {fmt} model file must end with {FORMATS[fmt]}, got {output}')

    exported_module = wrapper
    calibration = None
    if quantized:
        log('The model carries NNCF fake quantizers: exporting it as int8')
        precision = 'int8'
    elif precision == 'int8':
        source = f'{calib_data}_dataloader'
        log(f'Quantising to int8 with NNCF on {calib_samples} images of the {source}')
        images = load_dataset_images(cfg, calib_samples, source, seed=seed)
        _check_image_size(images, size, source)
        exported_module = quantize_int8(wrapper, [torch.from_numpy(img[None]) for img in images])
        calibration = dict(method='nncf.quantize', num_samples=len(images), source=source)

    exporter = export_onnx if fmt == 'onnx' else export_openvino
    task = exporter(
        exported_module,
        output,
        size,
        fp16=precision == 'fp16',
        opset_version=opset_version,
    )
    with torch.no_grad():
        out_shape = tuple(wrapper(torch.zeros(1, 3, *size)).shape[1:])
    meta = dict(
        task=task,
        input_size=list(size),
        output_dim=int(out_shape[0]) if task == 'recognition' else list(out_shape),
        precision=precision,
        input=INPUT_FORMAT,
        alignment=alignment_of(config_test_pipeline(cfg)),
        config=config_path or getattr(cfg, 'filename', None),
        checkpoint=checkpoint,
        checkpoint_sha256=file_sha256(checkpoint),
        input_name=INPUT_NAME,
        output_name=OUTPUT_NAMES[task],
        output_note=(
            'embedding, not L2-normalised'
            if task == 'recognition'
            else 'landmarks (x / W, y / H) of the input image'
        ),
        preprocessing_in_graph=wrapper.preprocessor_info(),
        flip_test=_flip_test(model) if task == 'recognition' else False,
        model_type=type(model).__name__,
        test_pipeline=config_test_pipeline(cfg),
        opset=opset_version,
        facerec_version=__version__,
    )
    if calibration is not None:
        meta['calibration'] = calibration
    _keep_sibling_parity(output, meta)
    write_metadata(output, meta)
    log(f'Exported {task} model ({precision}) to {output}, metadata {sidecar_path(output)}')

    if verify:
        backend = 'onnxruntime' if fmt == 'onnx' else 'openvino'
        parity = meta.setdefault('parity', {})
        # A model with fake quantizers is its own int8 reference (quantisation-aware).
        reference = 'torch int8' if quantized else 'torch fp32'
        parity[backend] = verify_exported(
            wrapper, output, cfg, verify, seed=seed, log=log, reference=reference
        )
        if exported_module is not wrapper:
            parity[f'{backend}_vs_nncf_torch'] = verify_exported(
                exported_module, output, cfg, verify, seed=seed, log=log, reference='torch int8'
            )
        write_metadata(output, meta)
    return meta


def verify_exported(
    torch_model: nn.Module,
    model_path: str,
    cfg: Any,
    num_images: int = 200,
    seed: int = 0,
    log: Callable[[str], None] = print,
    reference: str = 'torch',
) -> dict:
    """Compare an exported model with a PyTorch one on real images of the test dataloader.

    Args:
        torch_model: The reference taking raw input (an :class:`ExportWrapper`).
        model_path: The exported ``.onnx`` / ``.xml`` file.
        cfg: The config whose test dataloader gives the images.
        num_images: How many images (a seeded random subset).
        seed: Seed of the subset.
        log: Where the result line goes.
        reference: Name of the PyTorch model in that line.

    Returns:
        The numbers of :func:`~facerec.deployment.parity.compare_outputs`.
    """
    exported = load_exported_model(model_path)
    images = load_dataset_images(cfg, num_images, 'test_dataloader', seed=seed)
    _check_image_size(images, exported.input_size, 'test_dataloader')
    stats = check_parity(torch_model, exported, images)
    log(format_parity(stats, f'{exported.backend} {exported.meta["precision"]}', reference))
    return stats


def _keep_sibling_parity(output: str, meta: dict) -> None:
    """Keep the parity numbers of the other format's model that shares the sidecar.

    ``model.onnx`` and ``model.xml`` share ``model.json``; when both come from the same
    checkpoint at the same precision, the sidecar keeps the parity of both.
    """
    import json

    path = sidecar_path(output)
    if not osp.isfile(path):
        return
    try:
        with open(path, encoding='utf-8') as f:
            old = json.load(f)
    except (OSError, ValueError):
        return
    same = all(old.get(k) == meta.get(k) for k in ('checkpoint_sha256', 'precision', 'task'))
    if same and isinstance(old.get('parity'), dict):
        meta['parity'] = dict(old['parity'])


def _resolve_input_size(model: nn.Module, input_size: Optional[Sequence[int]]) -> Tuple[int, int]:
    """The ``(H, W)`` to export at: given, else the backbone's ``input_size``."""
    size = find_input_size(model)
    if input_size is not None:
        values = list(input_size)
        if len(values) == 1:
            values = values * 2
        if len(values) != 2 or any(int(v) <= 0 for v in values):
            raise ValueError(f'input_size must be H W (positive), got {input_size!r}')
        given = (int(values[0]), int(values[1]))
        if size is not None and given != size:
            raise ValueError(
                f'input size {given[0]}x{given[1]} was asked for, but the backbone of '
                f'{type(model).__name__} takes {size[0]}x{size[1]} images'
            )
        return given
    if size is None:
        raise ValueError(
            f'{type(model).__name__} has no submodule with an input_size; give --input-size H W'
        )
    return size


def _check_image_size(images, size: Tuple[int, int], source: str) -> None:
    if tuple(images.shape[2:]) != tuple(size):
        raise ValueError(
            f'The {source} pipeline gives {images.shape[2]}x{images.shape[3]} images but the '
            f'model is exported for {size[0]}x{size[1]} input'
        )
