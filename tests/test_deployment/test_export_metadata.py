"""export_from_config: the files, the sidecar and its checks."""

import hashlib
import json
import pickle

import numpy as np
import pytest
import torch

from facerec.datasets.transforms import get_template
from facerec.deployment import (
    ExportWrapper,
    export_from_config,
    load_dataset_images,
    load_exported_model,
    read_metadata,
    sidecar_path,
)
from facerec.deployment.metadata import REQUIRED_KEYS, alignment_of


def test_sidecar_path():
    assert sidecar_path('a/model.xml') == 'a/model.json'
    assert sidecar_path('a/model.onnx') == 'a/model.json'
    assert sidecar_path('a/b.c/model.v1.onnx') == 'a/b.c/model.v1.json'


@pytest.mark.parametrize('fmt, suffix', [('onnx', '.onnx'), ('openvino', '.xml')])
def test_recogniser_export_sidecar(tiny_recognition_setup, tmp_path, fmt, suffix):
    cfg, cfg_file, ckpt, model = tiny_recognition_setup
    out = tmp_path / 'exp' / f'rec{suffix}'
    logs = []
    meta = export_from_config(
        cfg, str(ckpt), str(out), fmt=fmt, verify=8, config_path=str(cfg_file), log=logs.append
    )
    assert out.is_file()
    on_disk = json.loads((tmp_path / 'exp' / 'rec.json').read_text())
    assert on_disk == json.loads(json.dumps(meta))
    assert set(REQUIRED_KEYS) <= set(on_disk)
    assert on_disk['task'] == 'recognition'
    assert on_disk['input_size'] == [32, 32]
    assert on_disk['output_dim'] == 16
    assert on_disk['precision'] == 'fp32'
    assert on_disk['input'] == 'BGR 0-255 NCHW'
    assert on_disk['config'] == str(cfg_file)
    assert on_disk['checkpoint_sha256'] == hashlib.sha256(ckpt.read_bytes()).hexdigest()
    assert on_disk['flip_test'] is True
    assert on_disk['output_name'] == 'embedding' and on_disk['input_name'] == 'input'
    assert on_disk['preprocessing_in_graph'] == dict(
        bgr_to_rgb=True, mean=[127.5] * 3, std=[128.0] * 3
    )
    align = on_disk['alignment']
    assert align['output_size'] == [32, 32] and align['template_scale'] == 1.0
    np.testing.assert_allclose(align['template'], get_template(32), atol=1e-9)
    backend = 'onnxruntime' if fmt == 'onnx' else 'openvino'
    parity = on_disk['parity'][backend]
    assert parity['num_samples'] == 8 and parity['cosine_min'] > 0.99999
    assert any('Parity torch fp32 vs' in line for line in logs)

    # What the model computes on the test images is what the PyTorch model computes.
    exported = load_exported_model(str(out))
    assert exported.meta == on_disk and exported.task == 'recognition'
    images = load_dataset_images(cfg, 5)
    with torch.no_grad():
        ref = ExportWrapper(model)(torch.from_numpy(images)).numpy()
    np.testing.assert_allclose(exported(images), ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())


def test_landmark_export_sidecar_and_int8(tiny_landmark_setup, tmp_path):
    cfg, cfg_file, ckpt, _ = tiny_landmark_setup
    meta = export_from_config(
        cfg,
        str(ckpt),
        str(tmp_path / 'lm.xml'),
        fmt='openvino',
        precision='int8',
        calib_samples=6,
        verify=6,
        log=lambda _: None,
    )
    assert meta['task'] == 'landmarks'
    assert meta['output_dim'] == [5, 2]
    assert meta['precision'] == 'int8'
    assert meta['alignment'] is None  # the landmark pipeline crops, it does not align
    assert meta['calibration'] == dict(
        method='nncf.quantize', num_samples=6, source='val_dataloader'
    )
    assert meta['parity']['openvino']['cosine_min'] > 0.999
    assert meta['parity']['openvino_vs_nncf_torch']['max_abs_diff'] < 0.01
    assert read_metadata(str(tmp_path / 'lm.xml'))['precision'] == 'int8'


def test_default_output_path_and_fp16(tiny_recognition_setup):
    cfg, _, ckpt, _ = tiny_recognition_setup
    meta = export_from_config(cfg, str(ckpt), fmt='onnx', precision='fp16', log=lambda _: None)
    out = ckpt.with_name(ckpt.stem + '_fp16.onnx')
    assert out.is_file() and meta['precision'] == 'fp16'
    assert read_metadata(str(out))['precision'] == 'fp16'


def test_export_errors(tiny_recognition_setup, tmp_path):
    cfg, _, ckpt, _ = tiny_recognition_setup
    with pytest.raises(ValueError, match='must end with .onnx'):
        export_from_config(cfg, str(ckpt), str(tmp_path / 'm.xml'), fmt='onnx')
    with pytest.raises(ValueError, match='format must be one of'):
        export_from_config(cfg, str(ckpt), fmt='tflite')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        export_from_config(cfg, str(tmp_path / 'nope.pth'))
    junk = tmp_path / 'junk.pth'
    for text in ('junk\n', 'not a checkpoint'):  # two ways torch.load fails
        junk.write_text(text)
        with pytest.raises((RuntimeError, pickle.UnpicklingError), match='checkpoint .*junk.pth'):
            export_from_config(cfg, str(junk), str(tmp_path / 'j.onnx'))
    # A checkpoint of another model does not load (strict).
    other = tmp_path / 'other.pth'
    torch.save({'state_dict': {'backbone.x': torch.zeros(1)}}, str(other))
    with pytest.raises(RuntimeError, match='other.pth does not fit the model .*state_dict'):
        export_from_config(cfg, str(other), str(tmp_path / 'o.onnx'))
    with pytest.raises(ValueError, match='48x48 was asked for, but the backbone of'):
        export_from_config(cfg, str(ckpt), str(tmp_path / 's.onnx'), input_size=[48])
    # The test pipeline must give images of the exported size.
    cfg.test_dataloader.dataset.pipeline[1].output_size = 48
    with pytest.raises(ValueError, match='gives 48x48 images but the model is exported for 32x32'):
        export_from_config(cfg, str(ckpt), str(tmp_path / 's.onnx'), verify=2, log=print)


def test_alignment_of_pipeline():
    assert alignment_of(None) is None
    assert alignment_of([dict(type='LoadImageFromFile')]) is None
    align = alignment_of([dict(type='AlignFace', output_size=(112, 96), template_scale=0.9)])
    assert align['output_size'] == [112, 96] and align['template_scale'] == 0.9
    np.testing.assert_allclose(align['template'], get_template((112, 96), 0.9))


@pytest.mark.parametrize(
    'change, message',
    [
        (lambda m: m.pop('task'), r"missing keys \['task'\]"),
        (lambda m: m.update(task='detection'), 'task must be one of'),
        (lambda m: m.update(precision='int4'), 'precision must be one of'),
        (lambda m: m.update(input_size=[32]), r'input_size must be \[H, W\]'),
    ],
)
def test_read_metadata_errors(tiny_recognition_setup, tmp_path, change, message):
    cfg, _, ckpt, _ = tiny_recognition_setup
    out = tmp_path / 'm.onnx'
    meta = export_from_config(cfg, str(ckpt), str(out), log=lambda _: None)
    change(meta)
    (tmp_path / 'm.json').write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=message) as info:
        read_metadata(str(out))
    assert 'm.json' in str(info.value)
    (tmp_path / 'm.json').write_text('{"task": ')
    with pytest.raises(ValueError, match='not valid JSON'):
        read_metadata(str(out))


def test_dataset_images_of_each_dataloader(tiny_recognition_setup, tiny_landmark_setup):
    cfg, *_ = tiny_recognition_setup
    train = load_dataset_images(cfg, 3, 'train_dataloader')
    test = load_dataset_images(cfg, 100, 'test_dataloader')
    assert train.shape == (3, 3, 32, 32) and train.dtype == np.float32
    assert test.shape == (18, 3, 32, 32)  # all the images of the LFW-like set
    lm_cfg, *_ = tiny_landmark_setup
    with pytest.raises(KeyError, match='no train_dataloader'):
        load_dataset_images(lm_cfg, 3, 'train_dataloader')
    with pytest.raises(ValueError, match='num_images must be a positive int'):
        load_dataset_images(lm_cfg, 0)
