"""load_exported_model: both backends, input checks and clear errors for bad files."""

import json
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config

from facerec.deployment import (
    ExportWrapper,
    ONNXRuntimeModel,
    OpenVINOModel,
    export_from_config,
    load_exported_model,
)
from facerec.registry import MODELS


@pytest.fixture(scope='module')
def exported_pair(tmp_path_factory, randomize, recognizer_cfg):
    """The tiny recogniser exported to ONNX and OpenVINO (separate folders: the sidecars
    would share a name), from a config without data and a random checkpoint."""
    root = tmp_path_factory.mktemp('exported')
    torch.manual_seed(0)
    model = randomize(MODELS.build(recognizer_cfg()))
    ckpt = root / 'rec.pth'
    torch.save({'state_dict': model.state_dict()}, str(ckpt))
    cfg = Config(dict(model=recognizer_cfg()))
    paths = {}
    for fmt, name in (('onnx', 'onnx/rec.onnx'), ('openvino', 'ov/rec.xml')):
        paths[fmt] = root / name
        export_from_config(cfg, str(ckpt), str(paths[fmt]), fmt=fmt, log=lambda _: None)
    return paths, model


def test_both_backends_agree_with_torch(exported_pair, raw_images):
    paths, model = exported_pair
    onnx_model = load_exported_model(str(paths['onnx']))
    ov_model = load_exported_model(str(paths['openvino']))
    assert isinstance(onnx_model, ONNXRuntimeModel) and isinstance(ov_model, OpenVINOModel)
    assert ov_model.compiled.get_property('INFERENCE_PRECISION_HINT').to_string() == 'f32'
    assert onnx_model.meta['task'] == ov_model.meta['task'] == 'recognition'
    images = raw_images(7, 32)
    with torch.no_grad():
        ref = ExportWrapper(model)(torch.from_numpy(images)).numpy()
    for exported in (onnx_model, ov_model):
        out = exported(images)
        assert out.dtype == np.float32 and out.shape == (7, 16)
        np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())
        # Any batch size; integer input is cast; an empty batch gives an empty result.
        np.testing.assert_allclose(exported(images[:1].astype(np.uint8)), out[:1], atol=1e-4)
        assert exported(images[:0]).shape == (0, 16)
    assert 'precision=' in repr(ov_model)


def test_bad_batches_name_the_model(exported_pair):
    model = load_exported_model(str(exported_pair[0]['onnx']))
    with pytest.raises(
        ValueError, match=r'rec.onnx expects .* \(N, 3, 32, 32\), got \(2, 3, 48, 48\)'
    ):
        model(np.zeros((2, 3, 48, 48), np.float32))
    with pytest.raises(ValueError, match=r'got \(32, 32, 3\)'):
        model(np.zeros((32, 32, 3), np.float32))
    with pytest.raises(ValueError, match=r'got \(1, 32, 32, 3\)'):
        model(np.zeros((1, 32, 32, 3), np.float32))  # NHWC
    with pytest.raises(TypeError, match='numeric'):
        model(np.array([['a']]))


def test_file_errors(exported_pair, tmp_path):
    paths, _ = exported_pair
    with pytest.raises(ValueError, match='expected an OpenVINO .xml or an ONNX .onnx'):
        load_exported_model(str(tmp_path / 'model.pt'))
    with pytest.raises(FileNotFoundError, match='Exported model not found'):
        load_exported_model(str(tmp_path / 'missing.onnx'))

    lonely = tmp_path / 'lonely' / 'rec.onnx'
    lonely.parent.mkdir()
    shutil.copy(paths['onnx'], lonely)
    with pytest.raises(FileNotFoundError, match=r'No metadata file .*rec.json'):
        load_exported_model(str(lonely))

    no_bin = tmp_path / 'nobin' / 'rec.xml'
    no_bin.parent.mkdir()
    shutil.copy(paths['openvino'], no_bin)
    shutil.copy(paths['openvino'].with_suffix('.json'), no_bin.with_suffix('.json'))
    with pytest.raises(FileNotFoundError, match=r'weights .*rec.bin'):
        load_exported_model(str(no_bin))


@pytest.mark.parametrize('fmt', ['onnx', 'openvino'])
def test_sidecar_that_does_not_match_the_graph(exported_pair, fmt, tmp_path):
    source = exported_pair[0][fmt]
    for suffix in ('.onnx', '.xml', '.bin', '.json'):
        if source.with_suffix(suffix).is_file():
            shutil.copy(source.with_suffix(suffix), tmp_path)
    path = tmp_path / source.name
    sidecar = path.with_suffix('.json')
    meta = json.loads(sidecar.read_text())

    sidecar.write_text(json.dumps(dict(meta, input_size=[112, 112])))
    with pytest.raises(ValueError, match=r'takes 32x32 images but its metadata rec.json says'):
        load_exported_model(str(path))

    sidecar.write_text(json.dumps(dict(meta, task='landmarks', output_dim=[5, 2])))
    with pytest.raises(ValueError, match="metadata says task 'landmarks' but the graph output"):
        load_exported_model(str(path))
