"""Taking in weights released by other toolkits: OpenVINO IR graphs and PyTorch state dicts."""

from .checkpoint import save_converted_checkpoint
from .openvino_ir import ConversionError, IRLayer, load_ir_into_model, read_ir_layers
from .state_dict_mapping import convert_foamliu_state_dict, load_source_state_dict

__all__ = [
    'ConversionError',
    'IRLayer',
    'convert_foamliu_state_dict',
    'load_ir_into_model',
    'load_source_state_dict',
    'read_ir_layers',
    'save_converted_checkpoint',
]
