import copy

import numpy as np
import pytest
import torch
import torch.nn as nn

from facerec.models.compression import MagnitudeSparsity
from facerec.models.compression.nncf_utils import iter_pruning_masks, iter_quantizers
from facerec.registry import MODELS

pytest.importorskip('nncf', reason='model compression needs nncf (requirements/optional.txt)')


def build(fp32: nn.Module, arch_cfg: dict, type_='MagnitudeSparsity', **kwargs):
    model = MODELS.build(dict(type=type_, architecture=arch_cfg, **kwargs))
    model.load_state_dict(fp32.state_dict(), strict=True)
    return model.eval()


def effective_weights(model) -> dict:
    """Masked weights as the forward pass sees them, keyed by parameter name."""
    backbone = model.compressed_module
    params = dict(backbone.named_parameters())
    out = {}
    for name, mask in iter_pruning_masks(backbone):
        out[name] = params[name].detach() * mask
    return out


def test_masks_reach_the_scheduled_level(face_fp32, face_arch_cfg, make_batches):
    model = build(face_fp32, face_arch_cfg, sparsity=dict(init=0.01, target=0.52, steps=3))
    masks = dict(iter_pruning_masks(model.backbone))
    # Every convolution and linear layer of the backbone carries a mask; the head none.
    convs = sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in face_fp32.backbone.modules())
    assert len(masks) == convs
    assert not list(iter_pruning_masks(model.head)) and not list(iter_quantizers(model))
    model.initialize_compression(make_batches())
    assert model.compression_summary()['sparsity'] == pytest.approx(0.01, abs=0.002)
    assert float(model.sparsity_level) == pytest.approx(0.01)
    for level in (0.3, 0.52):
        model.set_sparsity_level(level)
        stats = model.compression_summary()
        assert stats['sparsity'] == pytest.approx(level, abs=0.002)
        zeros = sum(int((w == 0).sum()) for w in effective_weights(model).values())
        total = sum(w.numel() for w in effective_weights(model).values())
        assert zeros / total == pytest.approx(level, abs=0.002)
        assert 0 < stats['global_sparsity'] < stats['sparsity']
    with pytest.raises(ValueError):
        model.set_sparsity_level(1.0)


def test_local_mode_prunes_every_layer_equally(face_fp32, face_arch_cfg, make_batches):
    model = build(
        face_fp32, face_arch_cfg, sparsity=dict(mode='local', init=0.25, target=0.25, steps=0)
    )
    model.initialize_compression(make_batches())
    for _, mask in iter_pruning_masks(model.backbone):
        if mask.numel() >= 100:
            assert (~mask).float().mean().item() == pytest.approx(0.25, abs=0.02)


def test_global_mode_keeps_the_largest_normalised_weights(face_fp32, face_arch_cfg, make_batches):
    model = build(face_fp32, face_arch_cfg, sparsity=dict(init=0.4, target=0.4, steps=0))
    model.initialize_compression(make_batches())
    kept, dropped = [], []
    params = dict(model.backbone.named_parameters())
    for name, mask in iter_pruning_masks(model.backbone):
        weight = params[name]
        normed = (weight.abs() / weight.norm()).detach()
        kept.append(normed[mask]), dropped.append(normed[~mask])
    assert torch.cat(dropped).max() <= torch.cat(kept).min()


def test_batch_norm_adaptation_follows_the_masks(face_fp32, face_arch_cfg, make_batches):
    with_bn = build(face_fp32, face_arch_cfg, sparsity=dict(init=0.5, steps=0))
    without = build(
        face_fp32, face_arch_cfg, sparsity=dict(init=0.5, steps=0, bn_adaptation_batches=0)
    )
    data = make_batches(n=4)
    with_bn.initialize_compression(data)
    without.initialize_compression(data)
    key = 'architecture.backbone.conv_last.1.running_mean'
    assert torch.equal(
        without.state_dict()[key], face_fp32.state_dict()['backbone.conv_last.1.running_mean']
    )
    assert not torch.equal(with_bn.state_dict()[key], without.state_dict()[key])


def test_save_load_gives_identical_outputs(face_fp32, face_arch_cfg, make_batches, tmp_path):
    model = build(face_fp32, face_arch_cfg, sparsity=dict(steps=2))
    model.initialize_compression(make_batches())
    model.set_sparsity_level(0.52)
    torch.save(model.state_dict(), tmp_path / 'sparse.pth')
    fresh = MODELS.build(
        dict(type='MagnitudeSparsity', architecture=face_arch_cfg, sparsity=dict(steps=2))
    )
    fresh.load_state_dict(torch.load(tmp_path / 'sparse.pth', weights_only=True), strict=True)
    fresh.eval()
    assert float(fresh.sparsity_level) == pytest.approx(0.52)
    assert fresh.compression_summary() == model.compression_summary()
    x = torch.randn(3, 3, 32, 32)
    assert torch.equal(fresh.extract_feat(x), model.extract_feat(x))


def test_sparse_int8_model_exports_with_zero_weights(
    face_fp32, face_arch_cfg, make_batches, tmp_path
):
    onnx = pytest.importorskip('onnx')
    ort = pytest.importorskip('onnxruntime')
    from onnx import numpy_helper

    model = build(
        face_fp32, face_arch_cfg, 'QuantizationAwareTraining', sparsity=dict(init=0.52, steps=0)
    )
    data = make_batches()
    model.initialize_compression(data)
    stats = model.compression_summary()
    assert stats['num_quantizers'] > 0 and stats['sparsity'] == pytest.approx(0.52, abs=0.002)

    class Embedder(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m.extract_feat(x)

    x = data[0][:4]
    with torch.no_grad():
        ref = model.extract_feat(x).numpy()
    path = tmp_path / 'sparse_int8.onnx'
    torch.onnx.export(Embedder(model).eval(), (x,), str(path), dynamo=False, opset_version=13)
    graph = onnx.load(str(path)).graph
    weights = [numpy_helper.to_array(t) for t in graph.initializer if t.dims and len(t.dims) == 4]
    zeros = sum(int((w == 0).sum()) for w in weights) / sum(w.size for w in weights)
    assert zeros > 0.45  # the masks are folded into the exported weights
    out = ort.InferenceSession(str(path)).run(None, {graph.input[0].name: x.numpy()})[0]
    cosine = (out * ref).sum(1) / np.linalg.norm(out, axis=1) / np.linalg.norm(ref, axis=1)
    assert cosine.min() > 0.98


def test_landnet_sparsity_and_bad_settings(landnet_fp32, landnet_arch_cfg, make_batches):
    model = build(landnet_fp32, landnet_arch_cfg, sparsity=dict(init=0.52, steps=0))
    model.initialize_compression(make_batches(size=48))
    assert model.compression_summary()['sparsity'] == pytest.approx(0.52, abs=0.002)
    assert model(make_batches(size=48)[0], mode='tensor').shape == (8, 5, 2)
    cfg = copy.deepcopy(landnet_arch_cfg)
    with pytest.raises(KeyError, match='Unknown sparsity keys'):
        MagnitudeSparsity(cfg, sparsity=dict(level=0.5))
    with pytest.raises(ValueError, match='mode'):
        MagnitudeSparsity(cfg, sparsity=dict(mode='row'))
    with pytest.raises(ValueError, match='init <= target'):
        MagnitudeSparsity(cfg, sparsity=dict(init=0.6, target=0.5))


def test_ignored_scope_keeps_depthwise_layers_dense(face_fp32, face_arch_cfg, make_batches):
    sparsity = dict(
        mode='local',
        init=0.5,
        steps=0,
        ignored_scope=dict(patterns=[r'.*depthwise.*', r'stem\.1\..*', r'gdc\..*']),
    )
    model = build(face_fp32, face_arch_cfg, sparsity=sparsity)
    model.initialize_compression(make_batches())
    convs = {
        f'{name}.weight': m.groups > 1
        for name, m in face_fp32.backbone.named_modules()
        if isinstance(m, (nn.Conv2d, nn.Linear))
    }
    assert any(convs.values()) and not all(convs.values())
    masked = {name for name, _ in iter_pruning_masks(model.backbone)}
    assert masked == {name for name, grouped in convs.items() if not grouped}
