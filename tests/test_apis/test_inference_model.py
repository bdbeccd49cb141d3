import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from facerec.apis import TorchModel, alignment_params, load_inference_model
from facerec.deployment import ExportedModel
from facerec.registry import MODELS


def lively(model: nn.Module) -> nn.Module:
    """Random batch-norm statistics, so that outputs are of order 1 (fresh ones squash them)."""
    gen = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
    return model.eval()


@pytest.fixture
def tiny_recognizer_files(lfw_like, identity_folder, tmp_path, make_tiny_config):
    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'work')
    cfg_file = tmp_path / 'tiny.py'
    Config(cfg).dump(str(cfg_file))
    torch.manual_seed(0)
    model = lively(MODELS.build(cfg['model']))
    ckpt = tmp_path / 'tiny.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, str(ckpt))
    return cfg_file, ckpt, model


def test_torch_model_runs_the_exported_function(tiny_recognizer_files):
    cfg_file, ckpt, model = tiny_recognizer_files
    rec = load_inference_model(str(cfg_file), str(ckpt))
    assert isinstance(rec, TorchModel)
    assert rec.task == 'recognition' and rec.input_size == (32, 32)
    assert rec.meta['output_dim'] == 16 and len(rec.fingerprint()) == 64
    assert alignment_params(rec.meta)['output_size'] == [32, 32]
    batch = np.random.default_rng(0).integers(0, 256, (3, 3, 32, 32)).astype(np.float32)
    out = rec(batch)
    # By hand: BGR -> RGB, (x - 127.5) / 128, the backbone.
    x = (torch.from_numpy(batch[:, ::-1].copy()) - 127.5) / 128.0
    with torch.no_grad():
        expected = model.backbone(x).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    assert rec(batch[:0]).shape == (0, 16)
    with pytest.raises(ValueError, match=r'\(N, 3, 32, 32\)'):
        rec(batch[:, :, :16])


def test_openvino_export_matches_pytorch_and_shares_its_fingerprint(
    tiny_recognizer_files, tmp_path
):
    pytest.importorskip('openvino', reason='requirements/optional.txt')
    from facerec.deployment import export_from_config

    cfg_file, ckpt, _ = tiny_recognizer_files
    xml = tmp_path / 'tiny.xml'
    export_from_config(
        Config.fromfile(str(cfg_file)), str(ckpt), str(xml), fmt='openvino', log=lambda s: None
    )
    ir = load_inference_model(str(xml))
    pt = load_inference_model(str(cfg_file), str(ckpt))
    assert isinstance(ir, ExportedModel)
    batch = np.random.default_rng(1).integers(0, 256, (4, 3, 32, 32)).astype(np.float32)
    np.testing.assert_allclose(ir(batch), pt(batch), rtol=1e-3, atol=1e-4)
    assert ir.fingerprint() == pt.fingerprint()
    assert alignment_params(ir.meta) == alignment_params(pt.meta)


def test_landmark_model_from_config(tmp_path):
    cfg = dict(
        model=dict(type='LandmarkRegressor', backbone=dict(type='LandNet', input_size=48)),
    )
    torch.manual_seed(0)
    model = lively(MODELS.build(cfg['model']))
    ckpt = tmp_path / 'lm.pth'
    torch.save({'state_dict': model.state_dict()}, str(ckpt))
    lm = TorchModel(cfg, str(ckpt))
    assert lm.task == 'landmarks' and lm.input_size == (48, 48)
    assert lm.meta['output_dim'] == [5, 2] and lm.meta['alignment'] is None
    out = lm(np.full((2, 3, 48, 48), 100, np.float32))
    assert out.shape == (2, 5, 2) and (out >= 0).all() and (out <= 1).all()


def test_load_errors(tiny_recognizer_files, tmp_path):
    cfg_file, ckpt, _ = tiny_recognizer_files
    with pytest.raises(ValueError, match='exported model'):
        load_inference_model(str(tmp_path / 'model.pth'))
    with pytest.raises(ValueError, match='needs its checkpoint'):
        load_inference_model(str(cfg_file))
    with pytest.raises(FileNotFoundError, match='Checkpoint not found'):
        load_inference_model(str(cfg_file), str(tmp_path / 'none.pth'))
    with pytest.raises(FileNotFoundError, match='Config file not found'):
        load_inference_model(str(tmp_path / 'none.py'), str(ckpt))
    with pytest.raises(FileNotFoundError, match='none.xml'):
        load_inference_model(str(tmp_path / 'none.xml'))
    # A checkpoint of another model is refused, naming both files.
    other = tmp_path / 'other.pth'
    torch.save({'state_dict': {'backbone.conv.weight': torch.zeros(1)}}, str(other))
    with pytest.raises(ValueError, match=r'other.pth does not fit the model.*\(config .*tiny.py\)'):
        load_inference_model(str(cfg_file), str(other))


def test_recogniser_without_alignment_meta_defaults_to_its_input_size(colour_recognizer_ir):
    rec = load_inference_model(str(colour_recognizer_ir))
    meta = dict(rec.meta, alignment=None)
    assert alignment_params(meta) == dict(
        output_size=[32, 32],
        template_scale=1.0,
        fallback='center',
        crop_ratio=1.0,
        border_mode='constant',
    )
