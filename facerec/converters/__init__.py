"""Taking in weights released by other toolkits: OpenVINO IR graphs and PyTorch state dicts."""

from .checkpoint import save_converted_checkpoint
from .openvino_ir import ConversionError, IRLayer, load_ir_into_model, read_ir_layers

__all__ = [
    'ConversionError',
    'IRLayer',
    'load_ir_into_model',
    'read_ir_layers',
    'save_converted_checkpoint',
]
