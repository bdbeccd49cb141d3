"""int8: NNCF post-training quantisation, QDQ ONNX and FakeQuantize IR that run in int8."""

import collections

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from facerec.deployment import (
    ExportWrapper,
    compare_outputs,
    export_onnx,
    export_openvino,
    fold_weight_quantizers,
    has_fake_quantizers,
    quantize_int8,
)
from facerec.deployment.runtime import openvino_core
from facerec.registry import MODELS


@pytest.fixture(scope='module')
def quantized(randomize, recognizer_cfg):
    """The tiny recogniser, float and quantised on 8 random calibration images."""
    torch.manual_seed(0)
    wrapper = ExportWrapper(randomize(MODELS.build(recognizer_cfg()))).eval()
    rng = np.random.default_rng(1)
    calib = [rng.integers(0, 256, (1, 3, 32, 32)).astype(np.float32) for _ in range(8)]
    return wrapper, quantize_int8(wrapper, [torch.from_numpy(c) for c in calib])


def weight_bytes(proto) -> int:
    from onnx import numpy_helper

    return sum(numpy_helper.to_array(init).nbytes for init in proto.graph.initializer)


def images(n=6, seed=5):
    return np.random.default_rng(seed).integers(0, 256, (n, 3, 32, 32)).astype(np.float32)


def torch_out(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


def test_quantize_adds_fake_quantizers_and_keeps_the_float_model(quantized):
    wrapper, q = quantized
    assert has_fake_quantizers(q) and not has_fake_quantizers(wrapper)
    x = images()
    stats = compare_outputs(torch_out(wrapper, x), torch_out(q, x))
    # int8 error, not a broken model: a random network of 4 to 16 channel layers loses more
    # than a trained one (the quick MobileFaceNet keeps a median cosine of 0.994).
    assert stats['cosine_mean'] > 0.9, stats
    assert stats['max_abs_diff'] > 0  # it did change something


def test_int8_onnx_has_qdq_pairs_and_matches(quantized, tmp_path):
    wrapper, q = quantized
    path = tmp_path / 'q.onnx'
    export_onnx(q, str(path), (32, 32))
    ops = collections.Counter(n.op_type for n in onnx.load(str(path)).graph.node)
    assert ops['QuantizeLinear'] > 0 and ops['DequantizeLinear'] > ops['QuantizeLinear']
    assert not any('FakeQuantize' in op for op in ops)

    # Weights are stored quantised (int8 initializers read by DequantizeLinear only).
    proto = onnx.load(str(path))
    int8_weights = [i for i in proto.graph.initializer if i.data_type == onnx.TensorProto.INT8]
    assert len(int8_weights) >= 20
    assert ops['DequantizeLinear'] == ops['QuantizeLinear'] + len(int8_weights)
    export_onnx(wrapper, str(tmp_path / 'float.onnx'), (32, 32))
    float_proto = onnx.load(str(tmp_path / 'float.onnx'))
    assert weight_bytes(proto) < 0.6 * weight_bytes(float_proto)

    x = images()
    session = ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])
    out = session.run(None, {'input': x})[0]
    vs_nncf = compare_outputs(torch_out(q, x), out)
    vs_float = compare_outputs(torch_out(wrapper, x), out)
    # onnxruntime breaks rounding ties the other way round from NNCF (see test_qat_export).
    assert vs_nncf['cosine_mean'] > 0.97, vs_nncf
    assert vs_float['cosine_mean'] > 0.9, vs_float


def test_int8_openvino_has_fake_quantize_and_runs_int8(quantized, tmp_path):
    wrapper, q = quantized
    path = tmp_path / 'q.xml'
    export_openvino(q, str(path), (32, 32))
    core = openvino_core()
    model = core.read_model(str(path))
    assert any(op.get_type_name() == 'FakeQuantize' for op in model.get_ops())
    compiled = core.compile_model(model, 'CPU', {'INFERENCE_PRECISION_HINT': 'f32'})
    runtime_precisions = {
        op.get_rt_info()['runtimePrecision'].astype(str)
        for op in compiled.get_runtime_model().get_ops()
        if op.get_rt_info()['layerType'].astype(str) == 'Convolution'
    }
    assert runtime_precisions & {'i8', 'u8'}, runtime_precisions

    x = images()
    out = compiled(x, share_inputs=False)[0]
    vs_nncf = compare_outputs(torch_out(q, x), out)
    # The int8 kernels break rounding ties their own way; a random network amplifies them.
    assert vs_nncf['cosine_mean'] > 0.97, vs_nncf
    assert compare_outputs(torch_out(wrapper, x), out)['cosine_mean'] > 0.9


def test_quantize_int8_errors(quantized):
    wrapper, q = quantized
    with pytest.raises(ValueError, match='already quantised'):
        quantize_int8(q, [torch.zeros(1, 3, 32, 32)])
    with pytest.raises(ValueError, match='at least one calibration image'):
        quantize_int8(wrapper, [])
    with pytest.raises(ValueError, match=r'expected \(1, 3, H, W\)'):
        quantize_int8(wrapper, [torch.zeros(2, 3, 32, 32)])
    with pytest.raises(ValueError, match='overflow_fix'):
        quantize_int8(wrapper, [torch.zeros(1, 3, 32, 32)], overflow_fix='yes')


@pytest.mark.parametrize('axis, scale', [(0, [0.5, 0.25, 0.1]), (1, [0.2])])
def test_fold_weight_quantizers_keeps_the_function(axis, scale):
    from onnx import helper, numpy_helper

    rng = np.random.default_rng(0)
    weight = rng.normal(0, 10, (3, 4)).astype(np.float32)
    weight[0, 0] = 1000.0  # saturates at 127
    scale = np.array(scale, np.float32)
    nodes = [
        helper.make_node('Identity', ['w'], ['w_id']),
        helper.make_node('QuantizeLinear', ['w_id', 's', 'z'], ['wq'], axis=axis),
        helper.make_node('DequantizeLinear', ['wq', 's', 'z'], ['wd'], axis=axis),
        helper.make_node('MatMul', ['x', 'wd'], ['y']),
    ]
    graph = helper.make_graph(
        nodes,
        'g',
        [helper.make_tensor_value_info('x', onnx.TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info('y', onnx.TensorProto.FLOAT, [2, 4])],
        [
            numpy_helper.from_array(weight, 'w'),
            numpy_helper.from_array(scale, 's'),
            numpy_helper.from_array(np.zeros(scale.shape, np.int8), 'z'),
        ],
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)])
    x = rng.normal(size=(2, 3)).astype(np.float32)

    def run(model):
        sess = ort.InferenceSession(model.SerializeToString(), providers=['CPUExecutionProvider'])
        return sess.run(None, {'x': x})[0]

    before = run(proto)
    assert fold_weight_quantizers(proto) == 1
    onnx.checker.check_model(proto)
    np.testing.assert_array_equal(run(proto), before)
    assert [n.op_type for n in proto.graph.node] == ['DequantizeLinear', 'MatMul']
    assert {i.name for i in proto.graph.initializer} == {'wq_int', 's', 'z'}
