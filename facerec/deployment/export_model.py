"""Export a trained model from its config and checkpoint: what tools/deployment/export.py runs.

Four steps: :func:`prepare_export` builds the model and settles the input size, precision and
output file; :func:`export_model` writes the graph (int8 calibrated first where asked);
:func:`describe_export` gives the sidecar; :func:`verify_exported` compares the exported model
with the PyTorch one on test images. :func:`export_from_config` runs them in turn.
"""

import os.path as osp
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn

from facerec.utils.checks import check_choice, check_size
from facerec.utils.model_loading import build_model
from facerec.version import __version__

from .dataset_images import load_dataset_images
from .export_wrapper import INPUT_NAME, OUTPUT_NAMES, ExportWrapper, find_input_size
from .metadata import (
    PRECISIONS,
    config_test_pipeline,
    describe_torch_model,
    keep_sibling_parity,
    sidecar_path,
    write_metadata,
)
from .onnx_export import DEFAULT_OPSET, export_onnx
from .openvino_export import export_openvino
from .parity import check_parity, format_parity
from .quantization import has_fake_quantizers, quantize_int8
from .runtime import load_exported_model

FORMATS = {'onnx': '.onnx', 'openvino': '.xml'}
#: The backend that runs each format.
FORMAT_BACKENDS = {'onnx': 'onnxruntime', 'openvino': 'openvino'}
CALIBRATION_DATA = ('val', 'test', 'train')
OUTPUT_NOTES = {
    'recognition': 'embedding, not L2-normalised',
    'landmarks': 'landmarks (x / W, y / H) of the input image',
}


@dataclass
class ExportPlan:
    """What :func:`prepare_export` settled: the model, its export wrapper and the file."""

    model: nn.Module
    wrapper: ExportWrapper
    input_size: Tuple[int, int]
    precision: str
    output: str
    fmt: str
    #: The model carries NNCF fake quantizers (quantisation-aware training).
    quantized: bool


def default_output_path(checkpoint: str, fmt: str, precision: str) -> str:
    """``<checkpoint folder>/<checkpoint stem>[_fp16|_int8].onnx|.xml``."""
    stem = osp.splitext(checkpoint)[0]
    suffix = '' if precision == 'fp32' else f'_{precision}'
    return f'{stem}{suffix}{FORMATS[fmt]}'


def prepare_export(
    cfg: Any,
    checkpoint: str,
    fmt: str,
    precision: str = 'fp32',
    output: Optional[str] = None,
    input_size: Optional[Sequence[int]] = None,
) -> ExportPlan:
    """Build the model with its weights and settle what to export where.

    A model with NNCF fake quantizers exports as int8 (``'fp16'`` is refused). The
    arguments are those of :func:`export_from_config`.
    """
    check_choice('format', fmt, tuple(FORMATS))
    check_choice('precision', precision, PRECISIONS)
    model = build_model(cfg, checkpoint)
    size = _resolve_input_size(model, input_size)
    quantized = has_fake_quantizers(model)
    if quantized and precision == 'fp16':
        raise ValueError(
            'The model carries NNCF fake quantizers (a quantised model): it exports as int8; '
            'drop --fp16'
        )
    precision = 'int8' if quantized else precision
    output = output or default_output_path(checkpoint, fmt, precision)
    if not output.endswith(FORMATS[fmt]):
        raise ValueError(f'A {fmt} model file must end with {FORMATS[fmt]}, got {output}')
    wrapper = ExportWrapper(model).eval()
    return ExportPlan(model, wrapper, size, precision, output, fmt, quantized)


def export_model(
    plan: ExportPlan,
    calibration_images: Optional[np.ndarray] = None,
    opset_version: int = DEFAULT_OPSET,
) -> Tuple[nn.Module, str]:
    """Write the graph of ``plan``; int8 without fake quantizers needs calibration images.

    Returns:
        The module that was exported (the wrapper, or its NNCF-quantised copy) and the task.
    """
    module = plan.wrapper
    if plan.precision == 'int8' and not plan.quantized:
        if calibration_images is None:
            raise ValueError('int8 export of a float model needs calibration images')
        module = quantize_int8(module, [torch.from_numpy(img[None]) for img in calibration_images])
    exporter = export_onnx if plan.fmt == 'onnx' else export_openvino
    task = exporter(
        module,
        plan.output,
        plan.input_size,
        fp16=plan.precision == 'fp16',
        opset_version=opset_version,
    )
    return module, task


def describe_export(
    cfg: Any, plan: ExportPlan, checkpoint: str, opset: int, config: Optional[str] = None
) -> dict:
    """The sidecar of an exported model: the model's description
    (:func:`~facerec.deployment.metadata.describe_torch_model`) and the export's details."""
    meta = describe_torch_model(
        cfg, plan.wrapper, checkpoint, plan.precision, config, plan.input_size
    )
    task = meta['task']
    meta.update(
        input_name=INPUT_NAME,
        output_name=OUTPUT_NAMES[task],
        output_note=OUTPUT_NOTES[task],
        preprocessing_in_graph=plan.wrapper.preprocessor_info(),
        flip_test=task == 'recognition' and _flip_test(plan.model),
        model_type=type(plan.model).__name__,
        test_pipeline=config_test_pipeline(cfg),
        opset=opset,
        facerec_version=__version__,
    )
    return meta


def export_from_config(
    cfg: Any,
    checkpoint: str,
    output: Optional[str] = None,
    fmt: str = 'onnx',
    precision: str = 'fp32',
    *,
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
            ``calib_data`` dataloader). A model that already carries NNCF fake quantizers
            (quantisation-aware training) exports as int8 with ``'fp32'`` or ``'int8'``.
        calib_samples: Calibration images for ``'int8'``.
        calib_data: ``'val'`` (default), ``'test'`` or ``'train'`` (a dataloader of another
            split than the one you report keeps the calibration away from the test images).
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
    check_choice('calib_data', calib_data, CALIBRATION_DATA)
    plan = prepare_export(cfg, checkpoint, fmt, precision, output, input_size)
    images, calibration = None, None
    if plan.quantized:
        log('The model carries NNCF fake quantizers: exporting it as int8')
    elif plan.precision == 'int8':
        source = f'{calib_data}_dataloader'
        log(f'Quantising to int8 with NNCF on {calib_samples} images of the {source}')
        images = _dataset_images(cfg, calib_samples, source, plan.input_size, seed)
        calibration = dict(method='nncf.quantize', num_samples=len(images), source=source)
    module, task = export_model(plan, images, opset_version)
    meta = describe_export(cfg, plan, checkpoint, opset_version, config_path)
    if calibration is not None:
        meta['calibration'] = calibration
    keep_sibling_parity(plan.output, meta)
    write_metadata(plan.output, meta)
    log(
        f'Exported {task} model ({plan.precision}) to {plan.output}, metadata '
        f'{sidecar_path(plan.output)}'
    )
    if verify:
        meta['parity'] = dict(meta.get('parity') or {})
        meta['parity'].update(_verify_plan(plan, module, cfg, verify, seed, log))
        write_metadata(plan.output, meta)
    return meta


def _verify_plan(
    plan: ExportPlan, module: nn.Module, cfg: Any, num_images: int, seed: int, log: Callable
) -> dict:
    """Parity of the exported file with the PyTorch model, and with the NNCF-quantised one."""
    backend = FORMAT_BACKENDS[plan.fmt]
    # A model with fake quantizers is its own int8 reference (quantisation-aware).
    reference = 'torch int8' if plan.quantized else 'torch fp32'
    args = dict(num_images=num_images, seed=seed, log=log)
    parity = {backend: verify_exported(plan.wrapper, plan.output, cfg, reference=reference, **args)}
    if module is not plan.wrapper:
        parity[f'{backend}_vs_nncf_torch'] = verify_exported(
            module, plan.output, cfg, reference='torch int8', **args
        )
    return parity


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
    images = _dataset_images(cfg, num_images, 'test_dataloader', exported.input_size, seed)
    stats = check_parity(torch_model, exported, images)
    log(format_parity(stats, f'{exported.backend} {exported.meta["precision"]}', reference))
    return stats


def _flip_test(model: nn.Module) -> bool:
    """Whether the model sums the embeddings of each image and its mirror at test time."""
    return any(bool(getattr(m, 'flip_test', False)) for m in model.modules())


def _resolve_input_size(model: nn.Module, input_size: Optional[Sequence[int]]) -> Tuple[int, int]:
    """The ``(H, W)`` to export at: given (one value for a square), else the backbone's."""
    size = find_input_size(model)
    if input_size is None:
        if size is None:
            raise ValueError(
                f'{type(model).__name__} has no submodule with an input_size; give --input-size H W'
            )
        return size
    values = list(input_size)
    given = check_size('input_size', values[0] if len(values) == 1 else values)
    if size is not None and given != size:
        raise ValueError(
            f'input size {given[0]}x{given[1]} was asked for, but the backbone of '
            f'{type(model).__name__} takes {size[0]}x{size[1]} images'
        )
    return given


def _dataset_images(
    cfg: Any, num_images: int, source: str, size: Sequence[int], seed: int
) -> np.ndarray:
    """Images of a dataloader, checked to be of the exported size."""
    images = load_dataset_images(cfg, num_images, source, seed=seed)
    if tuple(images.shape[2:]) != tuple(size):
        raise ValueError(
            f'The {source} pipeline gives {images.shape[2]}x{images.shape[3]} images but the '
            f'model is exported for {size[0]}x{size[1]} input'
        )
    return images
