"""foamliu/MobileFaceNet state dicts converted to facerec checkpoints: mapping, errors, parity."""

import os
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from facerec.converters.state_dict_mapping import (
    FOAMLIU_ARCH_SETTING,
    StateDictMismatchError,
    convert_foamliu_checkpoint,
    convert_foamliu_state_dict,
    foamliu_preprocess,
    foamliu_reference_forward,
    load_source_state_dict,
    parity_with_source,
)
from facerec.deployment import compare_outputs
from facerec.engine.runners.checkpoint_loading import load_for_inference, load_local_checkpoint
from facerec.registry import MODELS
from facerec.utils import register_all_modules

REPO = Path(__file__).resolve().parents[2]
FOAMLIU_PT = 'foamliu_mobilefacenet/mobilefacenet.pt'
PRETRAINED_CFG = REPO / 'configs' / 'pretrained' / 'mobilefacenet_foamliu_ms1m.py'
TOOL = REPO / 'tools' / 'model_converters' / 'mobilefacenet_state_dict_to_facerec.py'

IMAGENET_MEAN = [0.485 * 255, 0.456 * 255, 0.406 * 255]
IMAGENET_STD = [0.229 * 255, 0.224 * 255, 0.225 * 255]


def recognizer_cfg(size: int = 32, head: bool = False) -> dict:
    cfg = dict(
        type='FaceRecognizer',
        data_preprocessor=dict(
            type='FaceDataPreprocessor', mean=IMAGENET_MEAN, std=IMAGENET_STD, bgr_to_rgb=True
        ),
        backbone=dict(
            type='MobileFaceNet',
            act='ReLU6',
            use_se=False,
            embedding_size=128,
            input_size=size,
            stem_pointwise=True,
            stem_act='ReLU',
        ),
    )
    if head:
        cfg['head'] = dict(type='AMSoftmaxHead', num_classes=4, in_channels=128)
    return cfg


def build(cfg: dict):
    register_all_modules()
    return MODELS.build(cfg).eval()


def _conv(gen, out_ch, in_ch, k):
    std = (2.0 / (in_ch * k * k)) ** 0.5
    return torch.randn(out_ch, in_ch, k, k, generator=gen) * std


def _bn(sd, prefix, n, gen):
    sd[f'{prefix}.weight'] = torch.rand(n, generator=gen) + 0.5
    sd[f'{prefix}.bias'] = torch.randn(n, generator=gen) * 0.1
    sd[f'{prefix}.running_mean'] = torch.randn(n, generator=gen) * 0.1
    sd[f'{prefix}.running_var'] = torch.rand(n, generator=gen) * 1.5 + 0.5
    sd[f'{prefix}.num_batches_tracked'] = torch.tensor(1000)


def make_foamliu_source(size: int = 32, seed: int = 0) -> 'OrderedDict[str, torch.Tensor]':
    """Random tensors in the foamliu/MobileFaceNet layout for ``size x size`` input."""
    gen = torch.Generator().manual_seed(seed)
    sd = OrderedDict()
    sd['conv1.0.weight'] = _conv(gen, 64, 3, 3)
    _bn(sd, 'conv1.1', 64, gen)
    sd['dw_conv.depthwise.weight'] = _conv(gen, 64, 1, 3)
    sd['dw_conv.pointwise.weight'] = _conv(gen, 64, 64, 1)
    _bn(sd, 'dw_conv.bn1', 64, gen)
    _bn(sd, 'dw_conv.bn2', 64, gen)
    in_ch, index = 64, 0
    for t, c, n, _ in FOAMLIU_ARCH_SETTING:
        for _ in range(n):
            hidden = in_ch * t
            p = f'features.{index}.conv'
            sd[f'{p}.0.0.weight'] = _conv(gen, hidden, in_ch, 1)
            _bn(sd, f'{p}.0.1', hidden, gen)
            sd[f'{p}.1.0.weight'] = _conv(gen, hidden, 1, 3)
            _bn(sd, f'{p}.1.1', hidden, gen)
            sd[f'{p}.2.weight'] = _conv(gen, c, hidden, 1) * 0.5
            _bn(sd, f'{p}.3', c, gen)
            in_ch, index = c, index + 1
    sd['conv2.0.weight'] = _conv(gen, 512, 128, 1)
    _bn(sd, 'conv2.1', 512, gen)
    k = size // 16
    sd['gdconv.depthwise.weight'] = _conv(gen, 512, 1, k)
    _bn(sd, 'gdconv.bn', 512, gen)
    sd['conv3.weight'] = _conv(gen, 128, 512, 1)
    sd['conv3.bias'] = torch.randn(128, generator=gen) * 0.5
    _bn(sd, 'bn', 128, gen)
    return sd


@pytest.fixture(scope='module')
def tiny_source():
    return make_foamliu_source(32)


def raw_images(n: int, size: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 3, size, size)).astype(np.float32)


def test_converted_model_matches_functional_reference(tiny_source):
    model = build(recognizer_cfg(32))
    state = convert_foamliu_state_dict(tiny_source, model)
    assert len(tiny_source) == 307 and len(state) == 306  # conv3.bias folded
    assert all(k.startswith('backbone.') for k in state)
    assert model.backbone.gdc[0].kernel_size == (2, 2)

    images = raw_images(6, 32)
    batch = dict(inputs=[torch.from_numpy(img).to(torch.uint8) for img in images])
    with torch.no_grad():
        ref = foamliu_reference_forward(tiny_source, foamliu_preprocess(torch.from_numpy(images)))
        out = model.extract_feat(model.data_preprocessor(batch)['inputs'])
    assert ref.shape == (6, 128)
    assert ref.abs().max() > 0.1 and ref.std(0).mean() > 0.01  # a signal that depends on x
    stats = compare_outputs(ref.numpy(), out.numpy())
    assert stats['cosine_min'] > 0.99999
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4 * float(ref.abs().max()))

    stats = parity_with_source(model, tiny_source, images, batch_size=4)
    assert stats['num_samples'] == 6 and stats['cosine_min'] > 0.99999
    assert stats['max_abs_diff'] <= 1e-4 * stats['max_abs_ref']


def test_bias_is_folded_into_the_last_batch_norm(tiny_source):
    model = build(recognizer_cfg(32))
    state = convert_foamliu_state_dict(tiny_source, model)
    torch.testing.assert_close(
        state['backbone.embedding.1.running_mean'],
        tiny_source['bn.running_mean'] - tiny_source['conv3.bias'],
    )
    torch.testing.assert_close(
        state['backbone.stem.2.0.weight'], tiny_source['dw_conv.pointwise.weight']
    )
    # Block 11 over all stages is the last block of the third stage (5 + 1 + 6 blocks).
    torch.testing.assert_close(
        state['backbone.stages.2.5.project.0.weight'], tiny_source['features.11.conv.2.weight']
    )


def test_wrong_shape_names_the_layer_and_both_shapes(tiny_source):
    model = build(recognizer_cfg(48))  # gdc 3x3 where the source has 2x2
    with pytest.raises(StateDictMismatchError) as info:
        convert_foamliu_state_dict(tiny_source, model, source_name='tiny.pt')
    msg = str(info.value)
    assert 'tiny.pt' in msg and 'gdc' in msg
    assert "'gdconv.depthwise.weight' has shape (512, 1, 2, 2)" in msg
    assert "'backbone.gdc.0.weight' has shape (512, 1, 3, 3)" in msg

    bad = OrderedDict(tiny_source)
    bad['features.3.conv.1.0.weight'] = torch.zeros(128, 1, 5, 5)
    first = r'first layer that differs: stages\.0\.3\.depthwise'
    with pytest.raises(StateDictMismatchError, match=first) as info:
        convert_foamliu_state_dict(bad, build(recognizer_cfg(32)))
    assert '(128, 1, 5, 5)' in str(info.value) and '(128, 1, 3, 3)' in str(info.value)


def test_missing_and_unexpected_keys_are_listed(tiny_source):
    bad = OrderedDict(tiny_source)
    del bad['conv3.bias']
    del bad['features.7.conv.3.running_var']
    bad['fc.weight'] = torch.zeros(10, 128)
    with pytest.raises(StateDictMismatchError) as info:
        convert_foamliu_state_dict(bad, build(recognizer_cfg(32)))
    msg = str(info.value)
    assert "missing from the source (2: 'features.7.conv.3.running_var', 'conv3.bias')" in msg
    assert "unexpected in the source (1: 'fc.weight')" in msg
    assert 'Traceback' not in msg

    # A model without the stem's pointwise convolution has no place for it.
    cfg = recognizer_cfg(32)
    cfg['backbone']['stem_pointwise'] = False
    with pytest.raises(
        StateDictMismatchError, match='unexpected in the source .*dw_conv.pointwise'
    ):
        convert_foamliu_state_dict(tiny_source, build(cfg))


def test_not_a_state_dict_is_refused_with_the_file_named(tmp_path):
    junk = tmp_path / 'junk.pt'
    junk.write_bytes(b'not a pickle at all')
    with pytest.raises(ValueError, match='junk.pt is not a PyTorch state dict'):
        load_source_state_dict(str(junk))
    listed = tmp_path / 'list.pt'
    torch.save([torch.zeros(1)], listed)
    with pytest.raises(ValueError, match='list.pt is not a PyTorch state dict: it holds a list'):
        load_source_state_dict(str(listed))
    mixed = tmp_path / 'mixed.pt'
    torch.save({'epoch': 3, 'w': torch.zeros(1)}, mixed)
    with pytest.raises(ValueError, match="mixed.pt is not a PyTorch state dict: 1 of .*'epoch'"):
        load_source_state_dict(str(mixed))
    with pytest.raises(FileNotFoundError, match='nowhere.pt'):
        load_source_state_dict(str(tmp_path / 'nowhere.pt'))


def test_wrapped_source_is_unwrapped(tmp_path, tiny_source):
    path = tmp_path / 'wrapped.pt'
    torch.save({'state_dict': {f'module.{k}': v for k, v in tiny_source.items()}}, path)
    loaded = load_source_state_dict(str(path))
    assert list(loaded) == list(tiny_source)


def test_checkpoint_loads_for_testing_without_a_head(tmp_path, tiny_source):
    source = tmp_path / 'tiny.pt'
    torch.save(tiny_source, source)
    out = tmp_path / 'out' / 'tiny.pth'
    cfg = Config(dict(model=recognizer_cfg(32)))
    meta = convert_foamliu_checkpoint(cfg, str(source), str(out), parity=False, log=lambda s: None)
    assert out.is_file() and not list(out.parent.glob('*.tmp'))
    assert meta['source_sha256'] and meta['embedding_size'] == 128

    checkpoint = load_local_checkpoint(str(out))  # weights-only, as tools/test.py loads it
    assert set(checkpoint) == {'state_dict', 'meta'}
    assert all(k.startswith('backbone.') for k in checkpoint['state_dict'])
    model = build(recognizer_cfg(32, head=True))
    load_for_inference(model, checkpoint['state_dict'], str(out))
    images = raw_images(3, 32)
    with torch.no_grad():
        ref = foamliu_reference_forward(tiny_source, foamliu_preprocess(torch.from_numpy(images)))
    stats = parity_with_source(model, tiny_source, images)
    assert stats['cosine_min'] > 0.99999 and ref.shape == (3, 128)


def run_tool(args, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_tool_converts_checks_parity_and_tests(
    tmp_path, tiny_source, lfw_like, identity_folder, make_tiny_config
):
    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'work', max_epochs=1)
    cfg['model'] = dict(recognizer_cfg(32, head=True), test_cfg=dict(flip=True))
    cfg_file = tmp_path / 'foamliu_tiny.py'
    Config(cfg).dump(str(cfg_file))
    source = tmp_path / 'tiny.pt'
    torch.save(tiny_source, source)
    out = tmp_path / 'converted.pth'

    code, log = run_tool([str(TOOL), str(cfg_file), str(source), str(out), '--num-images', '8'])
    assert code == 0, log
    assert 'Parity source (functional) vs converted on 8 images' in log and out.is_file()
    assert "left out: 1: 'head.weight'" in log
    checkpoint = torch.load(out, weights_only=True)
    assert all(k.startswith('backbone.') for k in checkpoint['state_dict'])
    meta = checkpoint['meta']
    assert meta['parity']['cosine_min'] >= 0.9999 and meta['parity']['num_samples'] == 8

    code, log = run_tool(['tools/test.py', str(cfg_file), str(out), '--metric', 'lfw'])
    assert code == 0, log
    assert 'lfw/accuracy' in log

    # A source that does not fit: exit status 1, one error line naming both shapes.
    bad = OrderedDict(tiny_source)
    bad['conv2.0.weight'] = torch.zeros(512, 64, 1, 1)
    torch.save(bad, source)
    code, log = run_tool([str(TOOL), str(cfg_file), str(source), str(tmp_path / 'bad.pth')])
    assert code == 1 and 'Traceback' not in log, log
    assert "'conv2.0.weight' has shape (512, 64, 1, 1)" in log
    assert "'backbone.conv_last.0.weight' has shape (512, 128, 1, 1)" in log
    assert not (tmp_path / 'bad.pth').exists()


def test_parity_failure_writes_nothing(
    tmp_path, tiny_source, lfw_like, identity_folder, make_tiny_config
):
    cfg = Config(make_tiny_config(lfw_like, identity_folder, tmp_path / 'work'))
    cfg.model = recognizer_cfg(32)
    cfg.model.data_preprocessor.bgr_to_rgb = False  # not the source's channel order
    source = tmp_path / 'tiny.pt'
    torch.save(tiny_source, source)
    out = tmp_path / 'out.pth'
    from facerec.converters.state_dict_mapping import ParityError

    with pytest.raises(ParityError, match='not written'):
        convert_foamliu_checkpoint(cfg, str(source), str(out), num_images=4, log=lambda s: None)
    assert not out.exists()


def test_real_foamliu_model_parity_on_lfw(models_root, data_root):
    source_path = models_root / FOAMLIU_PT
    if not source_path.is_file():
        pytest.skip(f'foamliu/MobileFaceNet state dict not found at {source_path}')
    from facerec.deployment import load_dataset_images

    cfg = Config.fromfile(str(PRETRAINED_CFG))
    dataset = cfg.test_dataloader.dataset
    dataset.data_root = str(data_root / 'lfw')
    dataset.pairs_per_fold = 4  # a quick subset: 80 pairs
    images = load_dataset_images(cfg, 64)
    assert images.shape == (64, 3, 112, 112)

    source = load_source_state_dict(str(source_path))
    assert len(source) == 307
    model = build(cfg.model)
    state = convert_foamliu_state_dict(source, model, source_name=str(source_path))
    assert len(state) == 306 and not any(k.startswith('head.') for k in state)
    stats = parity_with_source(model, source, images)
    print(stats)
    assert stats['num_samples'] == 64 and stats['cosine_min'] >= 0.9999
