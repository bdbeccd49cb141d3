"""OpenVINO IR -> facerec weights: round trips on tiny models, mismatches, released models."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

import facerec.models  # noqa: F401
from facerec.converters import ConversionError, load_ir_into_model, read_ir_layers
from facerec.deployment import (
    ExportWrapper,
    build_model,
    check_parity,
    export_openvino,
    load_dataset_images,
    load_exported_model,
)
from facerec.deployment.backend_model import config_metadata
from facerec.registry import MODELS
from facerec.utils import load_config

REPO = Path(__file__).resolve().parents[2]
RAW = dict(type='FaceDataPreprocessor', mean=None, std=None, bgr_to_rgb=False)


def recognizer(size=32, **backbone):
    arch = dict(type='MobileFaceNet', widen_factor=0.25, embedding_size=16, input_size=size)
    return dict(type='FaceRecognizer', data_preprocessor=RAW, backbone=dict(arch, **backbone))


def landmarker(**backbone):
    return dict(
        type='LandmarkRegressor', data_preprocessor=RAW, backbone=dict(type='LandNet', **backbone)
    )


def randomized(cfg, seed):
    """A model whose batch norms and PReLU slopes are all random too, so a lost or
    misplaced one changes the output."""
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    model.init_weights()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0, 0.1)
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 1.5)
            elif isinstance(module, torch.nn.PReLU):
                module.weight.uniform_(-0.5, 0.5)
    return model.eval()


def export(model, path, size):
    export_openvino(ExportWrapper(model).eval(), str(path), (size, size))
    return str(path)


def raw_batch(size, n=6, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (n, 3, size, size)).astype(np.float32)


def run(model, images):
    with torch.no_grad():
        return ExportWrapper(model).eval()(torch.from_numpy(images)).numpy()


@pytest.mark.parametrize(
    'cfg,size',
    [
        (recognizer(se_ratio=8, se_act='PReLU', input_norm=True), 32),
        (recognizer(use_se=False, act='ReLU6'), 32),
        (landmarker(), 48),
        (landmarker(arch='reference'), 48),
    ],
    ids=['mobilefacenet-reference', 'mobilefacenet-relu6', 'landnet', 'landnet-reference'],
)
def test_round_trip_through_an_exported_ir(cfg, size, tmp_path):
    source = randomized(cfg, seed=0)
    xml = export(source, tmp_path / 'model.xml', size)
    target = randomized(cfg, seed=1)  # other weights everywhere
    images = raw_batch(size)
    assert not np.allclose(run(source, images), run(target, images), atol=1e-3)

    loaded = load_ir_into_model(
        ExportWrapper(target), read_ir_layers(xml), torch.zeros(1, 3, size, size)
    )
    assert len(loaded) > 10
    expected = run(source, images)
    np.testing.assert_allclose(
        run(target, images), expected, rtol=1e-4, atol=1e-4 * abs(expected).max()
    )


def test_released_layout_with_single_prelu_slopes_and_bias_free_embedding(tmp_path):
    """The released recogniser has one PReLU slope per layer and no batch norm after the
    embedding convolution: a model with exactly that layout, exported, loads into the
    facerec architecture (per-channel slopes, identity batch norm) with the same output."""
    size = 32
    cfg = recognizer(se_ratio=8, se_act='PReLU', input_norm=True)
    source = randomized(cfg, seed=0)
    with torch.no_grad():
        for module in source.modules():
            if isinstance(module, torch.nn.PReLU):
                module.weight.fill_(float(module.weight[0]))
    embedding_bn = source.backbone.embedding[1]
    source.backbone.embedding[1] = torch.nn.Identity()
    xml = export(source, tmp_path / 'released.xml', size)
    slopes = [layer for layer in read_ir_layers(xml) if layer.kind == 'prelu']
    assert slopes and all(
        layer.weight.size in (1, 0) or np.ptp(layer.weight) == 0 for layer in slopes
    )

    target = randomized(cfg, seed=1)
    load_ir_into_model(ExportWrapper(target), read_ir_layers(xml), torch.zeros(1, 3, size, size))
    images = raw_batch(size)
    expected = run(source, images)
    np.testing.assert_allclose(
        run(target, images), expected, rtol=1e-4, atol=1e-4 * abs(expected).max()
    )
    bn = target.backbone.embedding[1]
    assert isinstance(embedding_bn, torch.nn.BatchNorm2d)
    torch.testing.assert_close(bn.weight, torch.ones_like(bn.weight))
    torch.testing.assert_close(bn.bias, torch.zeros_like(bn.bias))


def test_architecture_mismatch_names_the_first_layer_and_both_shapes(tmp_path):
    xml = export(randomized(recognizer(), 0), tmp_path / 'rec.xml', 32)
    wider = MODELS.build(recognizer(widen_factor=0.5))
    pattern = (
        r"differs \(shape\): model Conv2d 'model\.backbone\.stem\.0\.0' with weight "
        r'\(32, 3, 3, 3\), IR conv .* with weight \(16, 3, 3, 3\)'
    )
    with pytest.raises(ConversionError, match=pattern):
        load_ir_into_model(ExportWrapper(wider), read_ir_layers(xml), torch.zeros(1, 3, 32, 32))

    without_se = MODELS.build(recognizer(use_se=False))
    with pytest.raises(ConversionError, match=r'Layer \d+ differs|more layers'):
        load_ir_into_model(
            ExportWrapper(without_se), read_ir_layers(xml), torch.zeros(1, 3, 32, 32)
        )

    # An IR with fewer layers than the model: the first model layer left over is named.
    landnet_xml = export(randomized(landmarker(), 0), tmp_path / 'lm.xml', 48)
    with pytest.raises(ConversionError, match=r"model \w+ '.*' .* has no counterpart|differs"):
        load_ir_into_model(
            ExportWrapper(MODELS.build(landmarker(arch='reference'))),
            read_ir_layers(landnet_xml),
            torch.zeros(1, 3, 48, 48),
        )


def test_converter_script_writes_a_checkpoint_that_tools_load(tmp_path):
    cfg = recognizer()
    source = randomized(cfg, seed=0)
    xml = export(source, tmp_path / 'rec.xml', 32)
    cfg_file = tmp_path / 'rec.py'
    cfg_file.write_text(f'model = {cfg!r}\n')
    out = tmp_path / 'converted.pth'
    proc = subprocess.run(
        [
            sys.executable,
            'tools/model_converters/openvino_to_facerec.py',
            str(cfg_file),
            xml,
            str(out),
            '--no-parity',
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert 'wrote' in proc.stdout
    ckpt = torch.load(str(out), map_location='cpu', weights_only=True)
    assert ckpt['meta']['source'] == xml
    model = build_model(Config(dict(model=cfg)), str(out))  # strict, weights-only
    images = raw_batch(32)
    expected = run(source, images)
    np.testing.assert_allclose(
        run(model, images), expected, rtol=1e-4, atol=1e-4 * abs(expected).max()
    )


# Released models (skipped where ../shared/models is absent).
OMZ_0095 = 'omz/face-reidentification-retail-0095/{}/face-reidentification-retail-0095.xml'
OMZ_0009 = 'omz/landmarks-regression-retail-0009/{}/landmarks-regression-retail-0009.xml'


def converted_parity(config, xml, num_images):
    cfg = load_config(str(REPO / config))
    model = build_model(cfg)
    wrapper = ExportWrapper(model).eval()
    size = model.backbone.input_size
    load_ir_into_model(wrapper, read_ir_layers(xml), torch.zeros(1, 3, *size))
    source = load_exported_model(xml, meta=config_metadata(cfg, xml))
    return check_parity(wrapper, source, load_dataset_images(cfg, num_images)), source


@pytest.mark.real_data
@pytest.mark.slow
def test_released_recogniser_converts_with_parity(models_root, data_root, monkeypatch):
    monkeypatch.setenv('FACEREC_DATA', str(data_root))
    xml = str(models_root / OMZ_0095.format('FP16'))
    stats, source = converted_parity(
        'configs/pretrained/face-reidentification-retail-0095.py', xml, 64
    )
    assert source.meta['precision'] == 'fp16' and source.meta['output_dim'] == 256
    assert stats['cosine_min'] >= 0.999, stats


@pytest.mark.real_data
@pytest.mark.slow
def test_released_landnet_converts_with_parity(models_root, data_root, monkeypatch):
    monkeypatch.setenv('FACEREC_DATA', str(data_root))
    xml = str(models_root / OMZ_0009.format('FP32'))
    stats, source = converted_parity(
        'configs/pretrained/landmarks-regression-retail-0009.py', xml, 64
    )
    assert source.meta['precision'] == 'fp32' and source.meta['output_dim'] == [5, 2]
    assert stats['max_abs_diff'] <= 1e-3, stats


def test_a_file_that_is_not_an_ir_is_named(tmp_path):
    text = tmp_path / 'model.xml'
    text.write_text('not a graph')
    with pytest.raises(ConversionError, match='Cannot read .*model.xml as an OpenVINO IR'):
        read_ir_layers(str(text))
    with pytest.raises(ConversionError, match='missing.xml: expected an OpenVINO IR'):
        read_ir_layers(str(tmp_path / 'missing.xml'))
