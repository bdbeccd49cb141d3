"""Export to OpenVINO IR (``.xml`` + ``.bin``) through an intermediate ONNX graph."""

import os
import os.path as osp
import tempfile
from typing import Tuple

import torch.nn as nn

from .export_wrapper import INPUT_NAME, OUTPUT_NAMES
from .onnx_export import export_onnx


def export_openvino(
    model: nn.Module, path: str, input_size: Tuple[int, int], fp16: bool = False, **onnx_options
) -> str:
    """Export a model to OpenVINO IR with the same input and output as :func:`export_onnx`.

    The model is traced to ONNX (in a temporary folder) and converted with
    ``openvino.convert_model``; going through ONNX keeps the tensor names and the
    dynamic batch, and turns NNCF's quantize/dequantize pairs into ``FakeQuantize``
    operations that OpenVINO runs in int8.

    Args:
        model: Usually an :class:`~facerec.deployment.ExportWrapper`.
        path: The ``.xml`` file to write; the weights go to the ``.bin`` beside it.
        input_size: ``(H, W)`` of the input images.
        fp16: Store the weights as float16 (``compress_to_fp16``); else float32.
        onnx_options: Options of :func:`export_onnx` for the intermediate graph
            (``opset_version``).

    Returns:
        The task: ``'recognition'`` or ``'landmarks'``.
    """
    import openvino as ov

    if not path.endswith('.xml'):
        raise ValueError(f'An OpenVINO IR path must end with .xml, got {path}')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = osp.join(tmp, 'model.onnx')
        task = export_onnx(model, onnx_path, input_size, **onnx_options)
        ov_model = ov.convert_model(onnx_path)
        # The converter may merge the first operation's tensor into the input (the
        # BGR -> RGB gather): keep exactly the names of the ONNX graph.
        ov_model.inputs[0].get_tensor().set_names({INPUT_NAME})
        ov_model.outputs[0].get_tensor().set_names({OUTPUT_NAMES[task]})
        ov.save_model(ov_model, path, compress_to_fp16=fp16)
    return task
