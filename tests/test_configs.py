"""Every config under configs/ parses and builds its model and pipelines."""

from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from facerec import registry
from facerec.engine.hooks.compression_hook import collect_batches
from facerec.models.compression import BaseCompressedModel
from facerec.registry import DATASETS, HOOKS, METRICS, MODELS, OPTIM_WRAPPERS, RUNNERS, TRANSFORMS
from facerec.structures import FaceDataSample
from facerec.utils import register_all_modules

CONFIG_DIR = Path(__file__).resolve().parents[1] / 'configs'
LEAF_CONFIGS = sorted(p for p in CONFIG_DIR.rglob('*.py') if '_base_' not in p.parts)
#: Configs that evaluate released models (configs/pretrained): no training part.
TEST_ONLY_CONFIGS = [p for p in LEAF_CONFIGS if 'pretrained' in p.parts]
TRAIN_CONFIGS = [p for p in LEAF_CONFIGS if p not in TEST_ONLY_CONFIGS]


def iter_types(node):
    """Yield every ``type`` value in a nested config."""
    if isinstance(node, dict):
        if 'type' in node and isinstance(node['type'], str):
            yield node['type']
        for v in node.values():
            yield from iter_types(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from iter_types(v)


@pytest.mark.parametrize('path', LEAF_CONFIGS, ids=lambda p: p.name)
def test_config_builds(path):
    register_all_modules()
    cfg = Config.fromfile(str(path))
    assert cfg.default_scope == 'facerec'
    assert RUNNERS.get(cfg.runner_type) is not None
    model = MODELS.build(cfg.model)
    arch_cfg = cfg.model.get('architecture', cfg.model)  # compression wrappers
    if 'head' in arch_cfg:
        assert model.head.num_classes == arch_cfg.head.num_classes
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if path in TEST_ONLY_CONFIGS and key == 'train_dataloader':
            assert loader is None, 'a config of a released model only tests it'
            continue
        if key == 'train_dataloader' and loader is None:  # post-training compression
            assert cfg.get('train_cfg') is None
            loader = cfg.calibration_dataloader
        assert DATASETS.get(loader.dataset.type) is not None
        for t in loader.dataset.pipeline:
            TRANSFORMS.build(t)
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        assert METRICS.get(evaluator.type) is not None
    for hook in cfg.custom_hooks:
        assert HOOKS.get(hook.type) is not None


@pytest.mark.parametrize('path', LEAF_CONFIGS, ids=lambda p: p.name)
def test_every_type_named_by_a_config_is_registered(path):
    register_all_modules()
    registries = [getattr(registry, name) for name in registry.__all__]
    for name in iter_types(Config.fromfile(str(path)).to_dict()):
        assert any(r.get(name) is not None for r in registries), name


def _input_hw(backbone) -> tuple:
    size = getattr(backbone, 'input_size', 112)
    return (size, size) if isinstance(size, int) else tuple(size)


@pytest.mark.parametrize('path', TRAIN_CONFIGS, ids=lambda p: p.name)
def test_config_model_trains_one_step(path, tmp_path):
    """Every backbone x head (or landmark model) that a config names takes an SGD step (a
    post-training config without train_cfg: calibrates and embeds)."""
    register_all_modules()
    cfg = Config.fromfile(str(path))
    teacher = cfg.model.get('teacher')  # distillation configs
    if teacher is not None and 'embeddings' in teacher:  # a table of two images' embeddings
        student = cfg.model.student  # a recogniser, or a compression wrapper of one
        dim = student.get('architecture', student).backbone.embedding_size
        table = tmp_path / 'teacher.npz'
        np.savez(table, img_path=np.array(['0.jpg', '1.jpg']), embeddings=np.ones((2, dim)))
        cfg.model.teacher.embeddings = str(table)
    elif teacher is not None:
        missing = [str(v) for k, v in teacher.items() if k != 'device' and not Path(v).is_file()]
        if missing:
            pytest.skip(f'distillation teacher file(s) not found: {", ".join(missing)}')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    h, w = _input_hw(model.backbone)
    inputs = [torch.randint(0, 256, (3, h, w), dtype=torch.uint8) for _ in range(2)]
    samples = []
    for i in range(2):
        sample = FaceDataSample(metainfo=dict(img_path=f'{i}.jpg'))
        if 'head' in cfg.model.get('architecture', cfg.model.get('student', cfg.model)):
            sample.set_gt_label(i)
        else:
            sample.gt_landmarks = torch.rand(5, 2) * torch.tensor([w, h])
        if teacher is not None and 'embeddings' not in teacher:
            th, tw = model.teacher.input_size
            sample.teacher_inputs = torch.randint(0, 256, (3, th, tw), dtype=torch.uint8)
        samples.append(sample)
    data = dict(inputs=inputs, data_samples=samples)
    compressed = [m for m in model.modules() if isinstance(m, BaseCompressedModel)]
    for m in compressed:  # what CompressionHook does before the first step
        m.initialize_compression(collect_batches(m, [data], 1))
    if cfg.get('train_cfg') is None:  # post-training quantisation: calibrated, not trained
        model.eval()
        with torch.no_grad():
            feats = model(**model.data_preprocessor(data, False), mode='tensor')
        assert compressed and torch.isfinite(feats).all()
        return
    optim_wrapper = OPTIM_WRAPPERS.build(
        dict(type='OptimWrapper', optimizer=torch.optim.SGD(model.parameters(), lr=0.01))
    )
    before = [p.detach().clone() for p in model.parameters()]
    log_vars = model.train_step(data, optim_wrapper)
    assert torch.isfinite(torch.as_tensor(log_vars['loss']))
    changed = sum(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert changed > len(before) // 2


def test_reference_recipe_values():
    cfg = Config.fromfile(str(CONFIG_DIR / 'mobilefacenet_vgg2.py'))
    assert cfg.model.backbone.type == 'MobileFaceNet' and cfg.model.backbone.use_se
    assert cfg.model.backbone.embedding_size == 256 and cfg.model.backbone.widen_factor == 1.0
    assert cfg.model.head.type == 'AMSoftmaxHead' and (cfg.model.head.s, cfg.model.head.m) == (
        30.0,
        0.35,
    )
    assert cfg.optim_wrapper.optimizer.lr == 0.4 and cfg.train_dataloader.batch_size == 256
    assert cfg.train_dataloader.dataset.data_root.endswith('vggface2')
    assert cfg.test_dataloader.dataset.data_root.endswith('lfw')


def test_data_root_follows_environment(monkeypatch):
    monkeypatch.setenv('FACEREC_DATA', '/somewhere/else')
    cfg = Config.fromfile(str(CONFIG_DIR / 'mobilefacenet_celeba_quick.py'))
    assert cfg.train_dataloader.dataset.data_root == '/somewhere/else/celeba'
    assert cfg.test_dataloader.dataset.data_root == '/somewhere/else/lfw'
    monkeypatch.delenv('FACEREC_DATA')
    cfg = Config.fromfile(str(CONFIG_DIR / 'mobilefacenet_celeba_quick.py'))
    assert cfg.test_dataloader.dataset.data_root == 'data/lfw'


@pytest.mark.parametrize(
    'path', [p for p in LEAF_CONFIGS if p.name.endswith('_vgg2.py')], ids=lambda p: p.name
)
def test_zoo_config_has_a_table_row(path):
    """Each VGGFace2 recipe has its row (params, FLOPs, embedding) in configs/README.md."""
    table = (CONFIG_DIR / 'README.md').read_text()
    rows = [line for line in table.splitlines() if line.startswith(f'| `{path.name}` |')]
    assert len(rows) == 1, f'{path.name}: {len(rows)} rows in configs/README.md'
    cells = [c.strip() for c in rows[0].strip('|').split('|')]
    assert cells[2].isdigit() and cells[4].endswith('M') and cells[5].endswith('G')
