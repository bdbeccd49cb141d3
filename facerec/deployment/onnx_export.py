"""Export to ONNX: dynamic batch, named input and output, optional fp16 weights."""

import os
import os.path as osp
import warnings
from typing import Dict, Tuple

import numpy as np
import torch
import torch.nn as nn

from .export_wrapper import INPUT_NAME, OUTPUT_NAMES, task_of_output
from .quantization import set_onnx_qdq_export

DEFAULT_OPSET = 17


def export_onnx(
    model: nn.Module,
    path: str,
    input_size: Tuple[int, int],
    fp16: bool = False,
    opset_version: int = DEFAULT_OPSET,
) -> str:
    """Export a model that maps ``(N, 3, H, W)`` images to features to an ONNX file.

    The graph's input is named ``input`` (float32, dynamic batch); its output is
    ``embedding`` ``(N, D)`` or ``landmarks`` ``(N, K, 2)``, chosen from the shape of
    the model's output. NNCF fake quantizers export as QuantizeLinear/DequantizeLinear
    pairs.

    Args:
        model: Usually an :class:`~facerec.deployment.ExportWrapper`; set to eval mode.
        path: The ``.onnx`` file to write (its folder is created).
        input_size: ``(H, W)`` of the input images.
        fp16: Store the float weights as float16, cast back to float32 when the model
            is loaded (half the file size; inference stays float32).
        opset_version: ONNX opset.

    Returns:
        The task: ``'recognition'`` or ``'landmarks'``.
    """
    height, width = (int(v) for v in input_size)
    model = model.eval()
    example = torch.full((1, 3, height, width), 127.0)
    with torch.no_grad():
        task = task_of_output(model(example))
    output_name = OUTPUT_NAMES[task]
    set_onnx_qdq_export(model)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with warnings.catch_warnings(), torch.no_grad():
        # The tracer notes the backbones' Python-side input shape checks (they hold for
        # every input the graph accepts) and the legacy exporter is deprecated; the
        # TorchScript exporter is the one that needs no onnxscript and knows NNCF's ops.
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        warnings.simplefilter('ignore', DeprecationWarning)
        torch.onnx.export(
            model,
            (example,),
            path,
            input_names=[INPUT_NAME],
            output_names=[output_name],
            dynamic_axes={INPUT_NAME: {0: 'batch'}, output_name: {0: 'batch'}},
            opset_version=opset_version,
            do_constant_folding=True,
            dynamo=False,
        )
    import onnx

    proto = onnx.load(path)
    changed = fold_weight_quantizers(proto) > 0
    if fp16:
        changed = compress_weights_to_fp16(proto) > 0 or changed
    if changed:
        onnx.save(proto, path)
    onnx.checker.check_model(proto)
    return task


def _constant_values(graph) -> Dict[str, np.ndarray]:
    """Values of the initializers, of ``Constant`` nodes and of ``Identity`` nodes of those."""
    from onnx import numpy_helper

    values = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    for node in graph.node:
        if node.op_type == 'Constant' and node.attribute and node.attribute[0].name == 'value':
            values[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        elif node.op_type == 'Identity' and node.input[0] in values:
            values[node.output[0]] = values[node.input[0]]
    return values


def _remove_unused(graph) -> None:
    """Drop the nodes and initializers that no graph output depends on."""
    needed = {out.name for out in graph.output}
    kept = []
    for node in reversed(list(graph.node)):
        if any(out in needed for out in node.output):
            kept.append(node)
            needed.update(name for name in node.input if name)
    kept.reverse()
    del graph.node[:]
    graph.node.extend(kept)
    unused = [init for init in graph.initializer if init.name not in needed]
    for init in unused:
        graph.initializer.remove(init)


def fold_weight_quantizers(proto) -> int:
    """Store the quantised weights of a QDQ model as int8, in place.

    A ``QuantizeLinear`` whose input, scale and zero point are constants (a weight) is
    computed once, as its definition says (``saturate(round_half_even(w / scale) + zp)``),
    and the ``DequantizeLinear`` after it reads the int8 initializer: the same function,
    a quarter of the weight bytes.

    Returns:
        The number of weight quantizers folded.
    """
    from onnx import numpy_helper

    graph = proto.graph
    values = _constant_values(graph)
    replaced = {}
    for node in graph.node:
        if node.op_type != 'QuantizeLinear' or len(node.input) < 3:
            continue
        if not all(name in values for name in node.input[:3]):
            continue
        weight = values[node.input[0]].astype(np.float32)
        scale = values[node.input[1]].astype(np.float32)
        zero_point = values[node.input[2]]
        axis = next((a.i for a in node.attribute if a.name == 'axis'), 1)
        if scale.ndim == 1 and scale.size > 1:
            shape = [1] * weight.ndim
            shape[axis % weight.ndim] = -1
            scale = scale.reshape(shape)
            zero_point = zero_point.reshape(shape)
        info = np.iinfo(zero_point.dtype)
        quantized = np.rint(weight / scale) + zero_point.astype(np.float32)
        quantized = np.clip(quantized, info.min, info.max).astype(zero_point.dtype)
        name = node.output[0] + '_int'
        graph.initializer.append(numpy_helper.from_array(quantized, name))
        replaced[node.output[0]] = name
    if not replaced:
        return 0
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in replaced:
                node.input[i] = replaced[name]
    _remove_unused(graph)
    return len(replaced)


def compress_weights_to_fp16(proto, min_elements: int = 16) -> int:
    """Store the float32 initializers of an ONNX model as float16, in place.

    Each compressed initializer ``w`` becomes ``w_fp16`` followed by a ``Cast`` to float32
    named ``w``, so the nodes that read ``w`` and the graph's float32 input and output stay
    as they are and every runtime can load it (onnxruntime folds the casts at load time).
    Initializers read by quantize/dequantize nodes (scales) and small ones stay float32.

    Args:
        proto: An ``onnx.ModelProto``.
        min_elements: Initializers with fewer elements stay float32.

    Returns:
        The number of initializers compressed.
    """
    from onnx import TensorProto, helper, numpy_helper

    graph = proto.graph
    keep = set()
    for node in graph.node:
        if node.op_type in ('QuantizeLinear', 'DequantizeLinear'):
            keep.update(node.input[1:])
    casts = []
    count = 0
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT or init.name in keep:
            continue
        array = numpy_helper.to_array(init)
        if array.size < min_elements:
            continue
        name = init.name
        half = numpy_helper.from_array(array.astype(np.float16), name + '_fp16')
        init.CopyFrom(half)
        casts.append(
            helper.make_node(
                'Cast', [name + '_fp16'], [name], to=TensorProto.FLOAT, name=name + '_to_fp32'
            )
        )
        count += 1
    for value_info in list(graph.value_info):
        if value_info.name in {c.output[0] for c in casts}:
            graph.value_info.remove(value_info)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    return count
