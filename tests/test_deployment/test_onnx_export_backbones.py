"""Every registered backbone exports to ONNX with a dynamic batch and matches PyTorch."""

import inspect

import numpy as np
import onnxruntime as ort
import pytest
import torch
from mmengine.model import BaseModel

import facerec.models  # noqa: F401
from facerec.deployment import ExportWrapper, compare_outputs, export_onnx
from facerec.registry import MODELS

#: Smaller variants of the large networks, so the test stays fast (same layer types).
SMALL_VARIANTS = {
    'IResNet': dict(depth=18, embedding_size=64),
    'ResNet': dict(width_per_group=16, reduce_channels=64, embedding_size=64),
    'SEResNet': dict(width_per_group=16, reduce_channels=64, embedding_size=64),
    'SEResNeXt': dict(reduce_channels=64, embedding_size=64),
}


def registered(package: str):
    names = []
    for name, cls in sorted(MODELS.module_dict.items()):
        if not cls.__module__.startswith(package + '.') or inspect.isabstract(cls):
            continue
        if issubclass(cls, BaseModel):  # models, not backbones
            continue
        names.append(name)
    return names


BACKBONES = registered('facerec.models.backbones')
LANDMARK_BACKBONES = registered('facerec.models.landmarks')


def test_every_backbone_type_is_covered():
    assert {'MobileFaceNet', 'IResNet', 'ResNet', 'SEResNet', 'SEResNeXt'} <= set(BACKBONES)
    assert {'ShuffleNetV2', 'RMNet', 'MobileNetV2Face'} <= set(BACKBONES)
    assert 'LandNet' in LANDMARK_BACKBONES


def export_and_compare(model, size, tmp_path, randomize, expected_output):
    model = randomize(model)
    wrapper = ExportWrapper(model).eval()
    path = tmp_path / 'model.onnx'
    task = export_onnx(wrapper, str(path), (size, size))
    session = ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    assert inp.name == 'input' and out.name == expected_output
    assert isinstance(inp.shape[0], str) and inp.shape[1:] == [3, size, size]  # dynamic batch

    images = np.random.default_rng(0).integers(0, 256, (3, 3, size, size)).astype(np.float32)
    exported = session.run(None, {'input': images})[0]
    with torch.no_grad():
        reference = wrapper(torch.from_numpy(images)).numpy()
    stats = compare_outputs(reference, exported)
    assert stats['max_abs_ref'] > 1e-2, 'degenerate outputs make the comparison meaningless'
    assert stats['max_abs_diff'] <= 1e-4 * max(1.0, stats['max_abs_ref'])
    assert stats['cosine_min'] > 0.99999
    return task, exported


@pytest.mark.parametrize('name', BACKBONES)
def test_backbone_exports_to_onnx(name, tmp_path, randomize):
    torch.manual_seed(0)
    backbone = dict(type=name, **SMALL_VARIANTS.get(name, {}))
    model = MODELS.build(dict(type='FaceRecognizer', backbone=backbone))
    task, out = export_and_compare(model, 112, tmp_path, randomize, 'embedding')
    assert task == 'recognition'
    assert out.shape == (3, model.backbone.embedding_size)


@pytest.mark.parametrize('name', LANDMARK_BACKBONES)
def test_landmark_backbone_exports_to_onnx(name, tmp_path, randomize):
    torch.manual_seed(0)
    model = MODELS.build(dict(type='LandmarkRegressor', backbone=dict(type=name)))
    task, out = export_and_compare(model, 48, tmp_path, randomize, 'landmarks')
    assert task == 'landmarks'
    assert out.shape == (3, model.backbone.num_points, 2)
