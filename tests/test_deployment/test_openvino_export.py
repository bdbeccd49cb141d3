"""OpenVINO IR export: names, dynamic batch, fp32 and fp16 parity, f32 inference hint."""

import numpy as np
import onnx
import pytest
import torch

from facerec.deployment import (
    ExportWrapper,
    compare_outputs,
    compress_weights_to_fp16,
    export_onnx,
    export_openvino,
)
from facerec.deployment.runtime import openvino_core


def torch_outputs(wrapper, images):
    with torch.no_grad():
        return wrapper(torch.from_numpy(images)).numpy()


@pytest.mark.parametrize('fp16', [False, True])
def test_openvino_recogniser_parity(tiny_recognizer, raw_images, tmp_path, fp16):
    wrapper = ExportWrapper(tiny_recognizer).eval()
    path = tmp_path / 'rec.xml'
    assert export_openvino(wrapper, str(path), (32, 32), fp16=fp16) == 'recognition'
    assert path.with_suffix('.bin').is_file()

    model = openvino_core().read_model(str(path))
    assert model.inputs[0].get_names() == {'input'}
    assert model.outputs[0].get_names() == {'embedding'}
    shape = model.inputs[0].get_partial_shape()
    assert shape[0].is_dynamic and [d.get_length() for d in list(shape)[1:]] == [3, 32, 32]
    weight_types = {
        op.get_output_element_type(0).get_type_name()
        for op in model.get_ops()
        if op.get_type_name() == 'Constant' and op.get_output_size() == 1
    }
    assert ('f16' in weight_types) == fp16

    compiled = openvino_core().compile_model(model, 'CPU', {'INFERENCE_PRECISION_HINT': 'f32'})
    images = raw_images(5, 32)
    out = compiled(images, share_inputs=False)[0]
    stats = compare_outputs(torch_outputs(wrapper, images), out)
    assert stats['max_abs_ref'] > 0.1
    if fp16:  # weights rounded to float16: about 1e-3 relative
        assert stats['cosine_min'] > 0.9999
        assert stats['max_abs_diff'] < 1e-2 * stats['max_abs_ref']
    else:
        assert stats['cosine_min'] > 0.999999
        assert stats['max_abs_diff'] < 1e-4 * stats['max_abs_ref']


def test_openvino_landmarks_parity(tiny_landmarker, raw_images, tmp_path):
    wrapper = ExportWrapper(tiny_landmarker).eval()
    path = tmp_path / 'lm.xml'
    assert export_openvino(wrapper, str(path), (48, 48)) == 'landmarks'
    model = openvino_core().read_model(str(path))
    assert model.outputs[0].get_names() == {'landmarks'}
    compiled = openvino_core().compile_model(model, 'CPU', {'INFERENCE_PRECISION_HINT': 'f32'})
    images = raw_images(4, 48)
    out = compiled(images, share_inputs=False)[0]
    assert out.shape == (4, 5, 2)
    np.testing.assert_allclose(out, torch_outputs(wrapper, images), atol=1e-5)


def test_onnx_fp16_weights(tiny_recognizer, raw_images, tmp_path):
    import onnxruntime as ort

    wrapper = ExportWrapper(tiny_recognizer).eval()
    export_onnx(wrapper, str(tmp_path / 'a.onnx'), (32, 32))
    export_onnx(wrapper, str(tmp_path / 'b.onnx'), (32, 32), fp16=True)
    full, half = onnx.load(str(tmp_path / 'a.onnx')), onnx.load(str(tmp_path / 'b.onnx'))
    half_inits = [i for i in half.graph.initializer if i.data_type == onnx.TensorProto.FLOAT16]
    assert (
        half_inits
        and (tmp_path / 'b.onnx').stat().st_size < 0.7 * (tmp_path / 'a.onnx').stat().st_size
    )
    assert half.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert len(full.graph.node) + len(half_inits) == len(half.graph.node)

    images = raw_images(3, 32)
    session = ort.InferenceSession(str(tmp_path / 'b.onnx'), providers=['CPUExecutionProvider'])
    stats = compare_outputs(torch_outputs(wrapper, images), session.run(None, {'input': images})[0])
    assert stats['cosine_min'] > 0.9999


def test_compress_weights_skips_small_and_non_float():
    from onnx import helper, numpy_helper

    big = numpy_helper.from_array(np.ones((4, 8), np.float32), 'w')
    small = numpy_helper.from_array(np.ones(3, np.float32), 'b')
    ints = numpy_helper.from_array(np.ones(20, np.int64), 'shape')
    node = helper.make_node('Identity', ['w'], ['y'])
    graph = helper.make_graph(
        [node],
        'g',
        [],
        [helper.make_tensor_value_info('y', onnx.TensorProto.FLOAT, [4, 8])],
        [big, small, ints],
    )
    proto = helper.make_model(graph)
    assert compress_weights_to_fp16(proto) == 1
    types = {i.name: i.data_type for i in proto.graph.initializer}
    assert types == {
        'w_fp16': onnx.TensorProto.FLOAT16,
        'b': onnx.TensorProto.FLOAT,
        'shape': onnx.TensorProto.INT64,
    }
    assert proto.graph.node[0].op_type == 'Cast' and proto.graph.node[0].output[0] == 'w'
    onnx.checker.check_model(proto)


def test_openvino_path_must_be_xml(tiny_recognizer, tmp_path):
    with pytest.raises(ValueError, match='end with .xml'):
        export_openvino(ExportWrapper(tiny_recognizer), str(tmp_path / 'm.onnx'), (32, 32))
