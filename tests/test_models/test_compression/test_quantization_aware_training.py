import copy

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from facerec.deployment import cpu_has_vnni
from facerec.deployment.runtime import openvino_core
from facerec.models.compression import QuantizationAwareTraining
from facerec.models.compression.nncf_utils import iter_quantizers
from facerec.registry import MODELS

pytest.importorskip('nncf', reason='model compression needs nncf (requirements/optional.txt)')


def build_qat(fp32: nn.Module, arch_cfg: dict, **kwargs) -> QuantizationAwareTraining:
    """A QAT model loaded with ``fp32``'s weights the way ``load_from`` does, uninitialised."""
    model = MODELS.build(dict(type='QuantizationAwareTraining', architecture=arch_cfg, **kwargs))
    model.load_state_dict(fp32.state_dict(), strict=True)
    return model.eval()


def num_convs_and_linears(module: nn.Module) -> int:
    return sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in module.modules())


def test_quantizers_are_inserted_and_calibrated(face_fp32, face_arch_cfg, make_batches):
    model = build_qat(face_fp32, face_arch_cfg)
    assert not model.is_initialized
    quantizers = list(iter_quantizers(model.backbone))
    # One weight quantizer per convolution plus activation quantizers.
    assert len(quantizers) > num_convs_and_linears(face_fp32.backbone)
    assert not list(iter_quantizers(model.head))  # the training head stays fp32
    data = make_batches(size=32)
    model.initialize_compression(data)
    assert model.is_initialized
    # The fp32 weights were loaded before calibration: outputs stay close to fp32 ones.
    x = data[0]
    out, ref = model.extract_feat(x), face_fp32.extract_feat(x)
    assert not torch.equal(out, ref)
    cosine = F.cosine_similarity(out, ref)
    assert cosine.mean() > 0.98 and cosine.min() > 0.9
    # Signed activations, as configured by default, and trainable ranges.
    acts = [q for q in quantizers if q.get_config()['signedness_to_force'] is None]
    assert acts and all(q.signed for q in acts)
    names = [n for n, p in model.named_parameters() if p.requires_grad and '__nncf_hooks' in n]
    assert any('scale' in n for n in names)


def test_loss_predict_and_tensor_modes_go_to_the_architecture(
    face_fp32, face_arch_cfg, make_batches
):
    from facerec.structures import FaceDataSample

    model = build_qat(face_fp32, face_arch_cfg)
    model.initialize_compression(make_batches())
    x = torch.randn(2, 3, 32, 32)
    samples = [FaceDataSample().set_gt_label(i) for i in range(2)]
    model.train()
    losses = model(x, samples, mode='loss')
    assert set(losses) >= {'loss_cls'} and torch.isfinite(losses['loss_cls'])
    losses['loss_cls'].backward()
    scale_grads = [q.scale.grad for q in iter_quantizers(model.backbone) if hasattr(q, 'scale')]
    assert any(g is not None and g.abs().sum() > 0 for g in scale_grads)
    model.eval()
    preds = model(x, [FaceDataSample(), FaceDataSample()], mode='predict')
    assert preds[0].pred_feature.shape == (16,)
    assert torch.equal(model(x, mode='tensor'), model.architecture.extract_feat(x))
    assert model.data_preprocessor is model.architecture.data_preprocessor
    assert model.head is model.architecture.head and model.backbone is model.architecture.backbone


@pytest.mark.parametrize('norm_eval', [False, True])
def test_norm_eval_freezes_batch_norm_statistics(norm_eval, face_fp32, face_arch_cfg, make_batches):
    from facerec.structures import FaceDataSample

    model = build_qat(face_fp32, face_arch_cfg, norm_eval=norm_eval)
    model.initialize_compression(make_batches())
    norms = [m for m in model.backbone.modules() if isinstance(m, nn.BatchNorm2d)]
    before = [m.running_mean.clone() for m in norms]
    model.train()
    assert model.training and model.head.training
    assert all(m.training != norm_eval for m in norms)
    samples = [FaceDataSample().set_gt_label(i % 4) for i in range(8)]
    model(make_batches(n=1, seed=5)[0] * 3 + 1, samples, mode='loss')['loss_cls'].backward()
    unchanged = [torch.equal(b, m.running_mean) for b, m in zip(before, norms)]
    assert all(unchanged) if norm_eval else not any(unchanged)
    # The affine parameters still train.
    assert all(m.weight.grad is not None for m in norms)


def test_uninitialised_model_refuses_to_predict_and_to_train(face_fp32, face_arch_cfg):
    from facerec.structures import FaceDataSample

    model = build_qat(face_fp32, face_arch_cfg)
    x = torch.randn(4, 3, 32, 32)
    with pytest.raises(RuntimeError, match='CompressionHook'):
        model(x[:1], None, mode='predict')
    samples = [FaceDataSample().set_gt_label(i) for i in range(4)]
    with pytest.raises(RuntimeError, match='CompressionHook'):
        model.train()(x, samples, mode='loss')
    with pytest.raises(RuntimeError, match='CompressionHook'):
        model.extract_feat(x)  # in training mode, e.g. as a distiller's student
    assert not model.is_initialized


def test_fp32_checkpoint_loads_into_the_architecture(face_fp32, face_arch_cfg, make_batches):
    model = MODELS.build(dict(type='QuantizationAwareTraining', architecture=face_arch_cfg))
    model.initialize_compression(make_batches())
    hooks = {k: v.clone() for k, v in model.state_dict().items() if '__nncf_hooks.' in k}
    # A checkpoint of the bare architecture: every key it has loads under `architecture.`.
    model.load_state_dict(face_fp32.state_dict(), strict=True)
    for key, value in face_fp32.state_dict().items():
        assert torch.equal(model.architecture.state_dict()[key], value), key
    # The hooks stay in place, but their calibration was of other weights.
    assert hooks and all(torch.equal(model.state_dict()[k], v) for k, v in hooks.items())
    assert not model.is_initialized


def test_checkpoint_written_in_the_first_state_format_loads(
    face_fp32, face_arch_cfg, make_batches, tmp_path
):
    """A checkpoint as the first release wrote it: the architecture's keys under
    ``architecture.``, the two state buffers, and the extra state as format-1 JSON."""
    import json

    model = build_qat(face_fp32, face_arch_cfg)
    model.initialize_compression(make_batches())
    state = {k: v for k, v in model.state_dict().items() if k != '_extra_state'}
    assert all(
        k.startswith('architecture.') or k in ('compression_initialized', 'sparsity_level')
        for k in state
    )
    algorithm = dict(
        name='quantization',
        calibration_batches=10,
        preset='performance',
        weights=dict(mode='symmetric', per_channel=True),
        activations=dict(mode='symmetric', signed=True),
        target_device='ANY',
        fast_bias_correction=True,
        overflow_fix='disable',
        ignored_scope=None,
    )
    text = json.dumps(
        dict(
            format=1, compress='backbone', algorithms=[algorithm], nncf=model.compression_structure
        )
    )
    state['_extra_state'] = torch.tensor(list(text.encode('utf-8')), dtype=torch.uint8)
    torch.save({'state_dict': state}, tmp_path / 'old.pth')
    old = torch.load(tmp_path / 'old.pth', weights_only=True)['state_dict']
    fresh = MODELS.build(dict(type='QuantizationAwareTraining', architecture=face_arch_cfg))
    fresh.load_state_dict(old, strict=True)
    fresh.eval()
    assert fresh.is_initialized
    x = torch.randn(4, 3, 32, 32)
    assert torch.equal(fresh.extract_feat(x), model.extract_feat(x))


def test_checkpoint_with_another_placement_restores_its_own(face_fp32, face_arch_cfg, make_batches):
    # The checkpoint's model skips the first convolution; the config quantises everything.
    source = build_qat(
        face_fp32, face_arch_cfg, quantization=dict(ignored_scope=dict(patterns=['stem/0/.*']))
    )
    source.initialize_compression(make_batches())
    target = MODELS.build(dict(type='QuantizationAwareTraining', architecture=face_arch_cfg))
    assert len(list(iter_quantizers(target))) > len(list(iter_quantizers(source)))
    target.load_state_dict(source.state_dict(), strict=True)
    target.eval()
    assert len(list(iter_quantizers(target))) == len(list(iter_quantizers(source)))
    x = torch.randn(2, 3, 32, 32)
    assert torch.equal(target.extract_feat(x), source.extract_feat(x))


def test_landmark_regressor_is_quantised(landnet_fp32, landnet_arch_cfg, make_batches):
    model = build_qat(landnet_fp32, landnet_arch_cfg)
    data = make_batches(size=48)
    model.initialize_compression(data)
    out = model(data[0], mode='tensor')
    assert out.shape == (8, 5, 2)
    assert (out - landnet_fp32.extract_feat(data[0])).abs().max() < 0.05


@pytest.mark.parametrize(
    'kwargs, error, match',
    [
        (dict(quantization=dict(bits=4)), KeyError, 'Unknown quantization keys'),
        (dict(quantization=dict(weights=dict(mode='log'))), ValueError, 'symmetric'),
        (dict(quantization=dict(activations=dict(sign=True))), KeyError, 'activations'),
        (dict(quantization=dict(preset='fast')), ValueError, 'preset'),
        (dict(quantization=dict(calibration_batches=0)), ValueError, 'calibration_batches'),
        (dict(quantization=dict(overflow_fix='on')), ValueError, 'overflow_fix'),
        (dict(compress='neck'), ValueError, 'sub-module'),
    ],
)
def test_bad_settings_are_refused(kwargs, error, match, face_arch_cfg):
    with pytest.raises(error, match=match):
        MODELS.build(dict(type='QuantizationAwareTraining', architecture=face_arch_cfg, **kwargs))


def assert_close_to_fake_quant(out: np.ndarray, ref: np.ndarray) -> None:
    """Int8 kernels requantise in their own order, so a value on a rounding boundary may land
    one step away and the difference propagates; the embeddings stay the same directions."""
    cosine = (out * ref).sum(1) / np.linalg.norm(out, axis=1) / np.linalg.norm(ref, axis=1)
    assert cosine.min() > 0.98 and np.median(cosine) > 0.999
    assert np.abs(out - ref).mean() < 0.05 * np.abs(ref).mean()


def openvino_int8(ov, model: nn.Module, x: torch.Tensor) -> np.ndarray:
    """``model``'s embeddings of ``x`` by its OpenVINO conversion, run in int8 at f32."""
    ir = ov.convert_model(Embedder(copy.deepcopy(model)).eval(), example_input=x)
    types = [op.get_type_name() for op in ir.get_ops()]
    assert types.count('FakeQuantize') > 10
    compiled = openvino_core().compile_model(ir, 'CPU', {'INFERENCE_PRECISION_HINT': 'f32'})
    return compiled(x.numpy(), share_inputs=False)[0]


class Embedder(nn.Module):
    """What an exporter traces: the model's extract_feat on normalised images."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.extract_feat(x)


def test_export_to_onnx_qdq_and_openvino_int8(face_fp32, face_arch_cfg, make_batches, tmp_path):
    onnx = pytest.importorskip('onnx')
    ort = pytest.importorskip('onnxruntime')
    ov = pytest.importorskip('openvino')
    model = build_qat(face_fp32, face_arch_cfg)
    data = make_batches()
    model.initialize_compression(data)
    x = data[0][:4]
    with torch.no_grad():
        ref = model.extract_feat(x).numpy()

    path = tmp_path / 'qat.onnx'
    torch.onnx.export(
        Embedder(model).eval(),
        (x,),
        str(path),
        dynamo=False,
        input_names=['input'],
        opset_version=13,
    )
    ops = [n.op_type for n in onnx.load(str(path)).graph.node]
    assert ops.count('QuantizeLinear') > 10 and ops.count('DequantizeLinear') > 10
    out = ort.InferenceSession(str(path)).run(None, {'input': x.numpy()})[0]
    assert_close_to_fake_quant(out, ref)

    if cpu_has_vnni():
        out = openvino_int8(ov, model, x)
        assert_close_to_fake_quant(out, ref)
    else:
        # Without VNNI, OpenVINO's int8 kernels saturate sums of products of full 8-bit
        # weights; NNCF's overflow fix (7-bit weights) is the model to deploy there. Its
        # export rounds the halved weight ranges its own way: close, not identical.
        fixed = build_qat(face_fp32, face_arch_cfg, quantization=dict(overflow_fix='enable'))
        fixed.initialize_compression(data)
        with torch.no_grad():
            fixed_ref = fixed.extract_feat(x).numpy()
        out = openvino_int8(ov, fixed, x)
        cosine = (out * fixed_ref).sum(1)
        cosine /= np.linalg.norm(out, axis=1) * np.linalg.norm(fixed_ref, axis=1)
        assert cosine.min() > 0.95 and np.median(cosine) > 0.98, cosine
    # Afterwards the model still runs its quantizers natively.
    with torch.no_grad():
        assert torch.equal(model.extract_feat(x), torch.from_numpy(ref))


def test_sequential_backbone_is_refused_with_advice(face_arch_cfg):
    arch = MODELS.build(face_arch_cfg)
    arch.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten())
    with pytest.raises(TypeError, match='nn.Sequential'):
        QuantizationAwareTraining(arch)
