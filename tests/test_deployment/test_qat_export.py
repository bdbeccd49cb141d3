"""A quantisation-aware-trained model (NNCF fake quantizers) exports as int8 by itself."""

import collections

import onnx
import pytest
import torch
from mmengine.config import Config

from facerec.deployment import (
    ExportWrapper,
    compare_outputs,
    cpu_has_vnni,
    export_from_config,
    load_exported_model,
)
from facerec.registry import MODELS


@pytest.fixture(scope='module')
def qat_setup(tmp_path_factory, randomize, recognizer_cfg):
    """The tiny recogniser with NNCF int8 fake quantizers, calibrated, and its checkpoint."""
    if MODELS.get('QuantizationAwareTraining') is None:
        pytest.skip('no QuantizationAwareTraining model registered')
    # Without VNNI, OpenVINO's int8 kernels saturate sums of products of full 8-bit weights:
    # there the model to deploy keeps 7-bit weights (NNCF's overflow fix).
    overflow_fix = 'disable' if cpu_has_vnni() else 'enable'
    quantization = dict(
        calibration_batches=1, activations=dict(signed=True), overflow_fix=overflow_fix
    )
    torch.manual_seed(0)
    architecture = randomize(MODELS.build(recognizer_cfg()))
    model = MODELS.build(
        dict(type='QuantizationAwareTraining', architecture=architecture, quantization=quantization)
    )
    # Calibration batches are normalised images, as after the data preprocessor.
    gen = torch.Generator().manual_seed(1)
    model.initialize_compression([torch.rand(8, 3, 32, 32, generator=gen) * 2 - 1])
    ckpt = tmp_path_factory.mktemp('qat') / 'qat.pth'
    torch.save({'state_dict': model.state_dict()}, str(ckpt))
    cfg = Config(
        dict(
            model=dict(
                type='QuantizationAwareTraining',
                architecture=recognizer_cfg(),
                quantization=quantization,
            )
        )
    )
    return cfg, ckpt, model.eval()


@pytest.mark.parametrize('fmt, suffix', [('onnx', '.onnx'), ('openvino', '.xml')])
def test_qat_checkpoint_exports_as_int8(qat_setup, tmp_path, raw_images, fmt, suffix):
    cfg, ckpt, model = qat_setup
    out = tmp_path / f'qat{suffix}'
    logs = []
    meta = export_from_config(cfg, str(ckpt), str(out), fmt=fmt, log=logs.append)
    assert meta['precision'] == 'int8' and 'calibration' not in meta
    assert any('fake quantizers' in line for line in logs)
    if fmt == 'onnx':
        ops = collections.Counter(n.op_type for n in onnx.load(str(out)).graph.node)
        assert ops['QuantizeLinear'] > 0 and ops['DequantizeLinear'] > ops['QuantizeLinear']

    images = raw_images(6, 32)
    with torch.no_grad():
        ref = ExportWrapper(model)(torch.from_numpy(images)).numpy()
    stats = compare_outputs(ref, load_exported_model(str(out))(images))
    assert stats['max_abs_ref'] > 0.1
    if not cpu_has_vnni():
        # The overflow fix's halved weight ranges export rounded their own way: close, not
        # identical (measured on an AVX2 CPU: mean cosine 0.98, minimum 0.96).
        assert stats['cosine_mean'] > 0.95 and stats['cosine_min'] > 0.9
    elif fmt == 'openvino':  # FakeQuantize computes what NNCF's fake quantizers compute
        assert stats['cosine_min'] > 0.9999
    else:
        # onnxruntime's QuantizeLinear breaks the ties (values half way between two int8
        # levels, frequent once inputs and weights are on the int8 grids) the other way round
        # from NNCF, and a random network amplifies each flipped level.
        assert stats['cosine_mean'] > 0.99 and stats['cosine_min'] > 0.95


def test_qat_checkpoint_refuses_fp16(qat_setup, tmp_path):
    cfg, ckpt, _ = qat_setup
    with pytest.raises(ValueError, match='exports as int8; drop --fp16'):
        export_from_config(cfg, str(ckpt), str(tmp_path / 'q.onnx'), precision='fp16')
