"""Export of trained models to ONNX and OpenVINO IR, and running the exported files.

An exported model takes float32 ``(N, 3, H, W)`` BGR 0..255 images (named ``input``,
dynamic batch) at the config's input size; the data preprocessor is part of the graph.
It returns ``embedding`` ``(N, D)`` (recognisers, not L2-normalised) or ``landmarks``
``(N, K, 2)`` as ``(x / W, y / H)`` (landmark regressors). A JSON sidecar with the same
stem describes it (:mod:`facerec.deployment.metadata`).
"""

from facerec.utils.model_loading import build_model

from .backend_model import BackendModel, use_exported_model
from .dataset_images import load_dataset_images
from .export_model import (
    ExportPlan,
    default_output_path,
    describe_export,
    export_from_config,
    export_model,
    prepare_export,
    verify_exported,
)
from .export_wrapper import ExportWrapper, find_input_size, task_of_output
from .metadata import (
    describe_model,
    describe_torch_model,
    read_metadata,
    sidecar_path,
    write_metadata,
)
from .onnx_export import compress_weights_to_fp16, export_onnx, fold_weight_quantizers
from .openvino_export import export_openvino
from .parity import check_parity, compare_outputs, format_parity
from .quantization import cpu_has_vnni, has_fake_quantizers, quantize_int8
from .runtime import (
    ExportedModel,
    InferenceModel,
    ONNXRuntimeModel,
    OpenVINOModel,
    load_exported_model,
)

__all__ = [
    'BackendModel',
    'ExportPlan',
    'ExportWrapper',
    'ExportedModel',
    'InferenceModel',
    'ONNXRuntimeModel',
    'OpenVINOModel',
    'build_model',
    'check_parity',
    'compare_outputs',
    'compress_weights_to_fp16',
    'default_output_path',
    'describe_export',
    'describe_model',
    'describe_torch_model',
    'export_from_config',
    'export_model',
    'export_onnx',
    'export_openvino',
    'find_input_size',
    'fold_weight_quantizers',
    'format_parity',
    'has_fake_quantizers',
    'load_dataset_images',
    'load_exported_model',
    'prepare_export',
    'quantize_int8',
    'cpu_has_vnni',
    'read_metadata',
    'sidecar_path',
    'task_of_output',
    'use_exported_model',
    'verify_exported',
    'write_metadata',
]
