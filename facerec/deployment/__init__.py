"""Export of trained models to ONNX and OpenVINO IR, and running the exported files.

An exported model takes float32 ``(N, 3, H, W)`` BGR 0..255 images (named ``input``,
dynamic batch) at the config's input size; the data preprocessor is part of the graph.
It returns ``embedding`` ``(N, D)`` (recognisers, not L2-normalised) or ``landmarks``
``(N, K, 2)`` as ``(x / W, y / H)`` (landmark regressors). A JSON sidecar with the same
stem describes it (:mod:`facerec.deployment.metadata`).
"""

from .backend_model import ExportedBackendModel, use_exported_model
from .dataset_images import load_dataset_images
from .export_model import build_model, default_output_path, export_from_config, verify_exported
from .export_wrapper import ExportWrapper, find_input_size, task_of_output
from .metadata import read_metadata, sidecar_path, write_metadata
from .onnx_export import compress_weights_to_fp16, export_onnx, fold_weight_quantizers
from .openvino_export import export_openvino
from .parity import check_parity, compare_outputs, format_parity
from .quantization import has_fake_quantizers, quantize_int8
from .runtime import ExportedModel, ONNXRuntimeModel, OpenVINOModel, load_exported_model

__all__ = [
    'ExportWrapper',
    'ExportedBackendModel',
    'ExportedModel',
    'ONNXRuntimeModel',
    'OpenVINOModel',
    'build_model',
    'check_parity',
    'compare_outputs',
    'compress_weights_to_fp16',
    'default_output_path',
    'export_from_config',
    'export_onnx',
    'export_openvino',
    'find_input_size',
    'fold_weight_quantizers',
    'format_parity',
    'has_fake_quantizers',
    'load_dataset_images',
    'load_exported_model',
    'quantize_int8',
    'read_metadata',
    'sidecar_path',
    'task_of_output',
    'use_exported_model',
    'verify_exported',
    'write_metadata',
]
