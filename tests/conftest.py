"""Shared fixtures: the real data folder (skipped where absent) and tiny synthetic datasets."""

import importlib.util
import os
import os.path as osp
from pathlib import Path

import cv2
import numpy as np
import pytest

from facerec.datasets.transforms import get_template

REPO_ROOT = Path(__file__).resolve().parents[1]


def real_data_root() -> Path:
    """``$FACEREC_DATA``, else ``data`` in the repo, else ``../shared/data``."""
    candidates = [
        os.environ.get('FACEREC_DATA'),
        REPO_ROOT / 'data',
        REPO_ROOT.parent / 'shared' / 'data',
    ]
    for c in candidates:
        if c and (Path(c) / 'lfw').is_dir():
            return Path(c)
    return Path(candidates[-1])


@pytest.fixture(scope='session')
def data_root() -> Path:
    root = real_data_root()
    if not (root / 'lfw' / 'pairs.txt').is_file():
        pytest.skip(f'real face data not found under {root} (set FACEREC_DATA)')
    return root


def real_models_root() -> Path:
    """``$FACEREC_MODELS``, else ``../shared/models`` beside the repo."""
    return Path(os.environ.get('FACEREC_MODELS') or REPO_ROOT.parent / 'shared' / 'models')


@pytest.fixture(scope='session')
def models_root() -> Path:
    """The released face models folder; skips the test where it is absent."""
    root = real_models_root()
    if not (root / 'README.md').is_file():
        pytest.skip(f'released face models not found under {root} (set FACEREC_MODELS)')
    return root


def make_face_image(rng: np.random.Generator, size: int = 96, identity: int = 0) -> tuple:
    """A synthetic 'face': a textured image whose colour depends on the identity,
    with its 5 landmarks placed by a random similarity transform of the template."""
    base = np.array([(identity * 53) % 256, (identity * 97) % 256, (identity * 29) % 256], np.uint8)
    img = np.clip(base + rng.normal(0, 25, (size, size, 3)), 0, 255).astype(np.uint8)
    pts = get_template(112) * (size / 140.0) + rng.uniform(5, 15, 2)
    for x, y in pts:
        cv2.circle(img, (int(x), int(y)), 2, (255, 255, 255), -1)
    return img, pts


@pytest.fixture(scope='session')
def face_image():
    """The :func:`make_face_image` factory, for tests that make their own folders."""
    return make_face_image


@pytest.fixture
def lfw_like(tmp_path: Path) -> Path:
    """An LFW-style folder: 6 people x 3 images, view-2 pairs.txt (10 folds of
    2 matched + 2 mismatched pairs) and a sphereface landmark file."""
    rng = np.random.default_rng(0)
    root = tmp_path / 'lfw'
    names = [f'Person_{c}' for c in 'ABCDEF']
    lm_lines = []
    for i, name in enumerate(names):
        (root / 'lfw-deepfunneled' / name).mkdir(parents=True)
        for n in range(1, 4):
            img, pts = make_face_image(rng, identity=i)
            rel = f'{name}/{name}_{n:04d}.jpg'
            cv2.imwrite(str(root / 'lfw-deepfunneled' / rel), img)
            lm_lines.append(rel + '\t' + '\t'.join(f'{v:.1f}' for v in pts.ravel()))
    (root / 'landmarks.txt').write_text('\n'.join(lm_lines) + '\n')
    lines = ['10\t2']
    for fold in range(10):
        a, b = names[fold % 6], names[(fold + 1) % 6]
        lines += [f'{a}\t1\t2', f'{b}\t2\t3']
        lines += [f'{a}\t3\t{b}\t1', f'{b}\t1\t{names[(fold + 3) % 6]}\t2']
    (root / 'pairs.txt').write_text('\n'.join(lines) + '\n')
    return root


@pytest.fixture
def identity_folder(tmp_path: Path) -> Path:
    """``root/<identity>/<image>``: 4 identities x 4 images of 96x96."""
    rng = np.random.default_rng(1)
    root = tmp_path / 'ids'
    for i in range(4):
        folder = root / f'id{i:02d}'
        folder.mkdir(parents=True)
        for n in range(4):
            img, _ = make_face_image(rng, identity=i + 10)
            cv2.imwrite(osp.join(folder, f'{n}.jpg'), img)
    return root


def tiny_config(lfw_root: Path, train_root: Path, work_dir: Path, max_epochs: int = 2) -> dict:
    """A complete, fast training config (32x32 faces, a slim MobileFaceNet)."""
    size = 32
    test_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='AlignFace', output_size=size),
        dict(type='PackFaceInputs'),
    ]
    lfw_loader = dict(
        batch_size=8,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='LFWPairs',
            data_root=str(lfw_root),
            landmark_file='landmarks.txt',
            pipeline=test_pipeline,
        ),
    )
    return dict(
        default_scope='facerec',
        runner_type='FaceRunner',
        work_dir=str(work_dir),
        model=dict(
            type='FaceRecognizer',
            backbone=dict(
                type='MobileFaceNet', widen_factor=0.25, embedding_size=16, input_size=size
            ),
            head=dict(type='AMSoftmaxHead', num_classes=4, in_channels=16),
            test_cfg=dict(flip=True),
        ),
        train_dataloader=dict(
            batch_size=4,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dict(
                type='ImageFolderIdentities',
                data_root=str(train_root),
                pipeline=[
                    dict(type='LoadImageFromFile'),
                    dict(type='AlignFace', output_size=size, crop_ratio=0.8),
                    dict(type='PackFaceInputs'),
                ],
            ),
        ),
        val_dataloader=lfw_loader,
        test_dataloader=lfw_loader,
        val_evaluator=dict(type='LFWMetric'),
        test_evaluator=dict(type='LFWMetric'),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4)),
        param_scheduler=[dict(type='MultiStepLR', by_epoch=True, milestones=[1], gamma=0.1)],
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs),
        val_cfg=dict(type='ValLoop'),
        test_cfg=dict(type='TestLoop'),
        default_hooks=dict(
            timer=dict(type='IterTimerHook'),
            logger=dict(type='LoggerHook', interval=1),
            param_scheduler=dict(type='ParamSchedulerHook'),
            checkpoint=dict(
                type='CheckpointHook', interval=1, backend_args=dict(backend='atomic_local')
            ),
            sampler_seed=dict(type='DistSamplerSeedHook'),
        ),
        custom_hooks=[dict(type='NumClassesCheckHook')],
        env_cfg=dict(cudnn_benchmark=False, dist_cfg=dict(backend='nccl')),
        vis_backends=[dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')],
        visualizer=dict(
            type='Visualizer',
            vis_backends=[dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')],
        ),
        log_level='INFO',
        randomness=dict(seed=0),
        load_from=None,
        resume=False,
    )


@pytest.fixture
def make_tiny_config():
    """The :func:`tiny_config` factory, for tests in other folders."""
    return tiny_config


@pytest.fixture(scope='session')
def load_tool():
    """Import a script of ``tools/`` by its path relative to the repository root."""

    def load(relative_path: str):
        path = Path(__file__).resolve().parents[1] / relative_path
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
