"""Helpers of the distillation tests: tiny teachers (config + checkpoint) and a tiny dataset
with 5 points per image."""

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from facerec.registry import MODELS
from facerec.utils import register_all_modules

TEACHER_SIZE = 48
STUDENT_SIZE = 32


def teacher_model_cfg(embedding_size: int = 16) -> dict:
    """A 48x48 teacher taking BGR 0-255 (input batch norm), like the released 0095."""
    return dict(
        type='FaceRecognizer',
        data_preprocessor=dict(type='FaceDataPreprocessor', mean=None, std=None, bgr_to_rgb=False),
        backbone=dict(
            type='MobileFaceNet',
            widen_factor=0.25,
            embedding_size=embedding_size,
            input_size=TEACHER_SIZE,
            input_norm=True,
        ),
    )


def student_model_cfg(num_classes: int = 4, embedding_size: int = 16) -> dict:
    """A 32x32 student with RGB normalised input and an AM-softmax head."""
    return dict(
        type='FaceRecognizer',
        backbone=dict(
            type='MobileFaceNet',
            widen_factor=0.25,
            embedding_size=embedding_size,
            input_size=STUDENT_SIZE,
        ),
        head=dict(type='AMSoftmaxHead', num_classes=num_classes, in_channels=embedding_size),
    )


def write_teacher(folder: Path, embedding_size: int = 16) -> dict:
    """Write a teacher config and a checkpoint with non-trivial batch-norm statistics."""
    register_all_modules()
    folder.mkdir(parents=True, exist_ok=True)
    cfg = dict(
        default_scope='facerec',
        model=teacher_model_cfg(embedding_size),
        test_dataloader=dict(
            dataset=dict(
                type='LFWPairs',
                pipeline=[
                    dict(type='LoadImageFromFile'),
                    dict(type='AlignFace', output_size=TEACHER_SIZE, template='openvino'),
                    dict(type='PackFaceInputs'),
                ],
            )
        ),
    )
    config = folder / 'teacher.py'
    Config(cfg).dump(str(config))
    torch.manual_seed(1)
    model = MODELS.build(cfg['model']).train()
    with torch.no_grad():  # move the batch-norm statistics away from their defaults
        model.extract_feat(torch.rand(4, 3, TEACHER_SIZE, TEACHER_SIZE) * 255)
    checkpoint = folder / 'teacher.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    return dict(config=str(config), checkpoint=str(checkpoint))


@pytest.fixture
def torch_teacher(tmp_path) -> dict:
    return write_teacher(tmp_path / 'teacher')


def make_samples(num: int = 4, with_labels: bool = True, teacher_size: int = TEACHER_SIZE):
    from facerec.structures import FaceDataSample

    gen = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for i in range(num):
        inputs.append(torch.randint(0, 256, (3, STUDENT_SIZE, STUDENT_SIZE), generator=gen).byte())
        sample = FaceDataSample()
        if with_labels:
            sample.set_gt_label(i % 4)
        sample.set_metainfo(dict(img_path=f'img{i}.jpg'))
        view = torch.randint(0, 256, (3, teacher_size, teacher_size), generator=gen).byte()
        sample.set_field(view, 'teacher_inputs')
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


@pytest.fixture
def landmark_identities(tmp_path) -> Path:
    """``root/<identity>/<image>``: 4 identities x 3 images of 64x64 and their 5 points in
    ``root/landmarks.txt``."""
    from facerec.datasets.transforms import get_template

    rng = np.random.default_rng(3)
    root = tmp_path / 'ids'
    lines = []
    for i in range(4):
        (root / f'id{i}').mkdir(parents=True)
        colour = np.array([(i * 53) % 256, (i * 97) % 256, (i * 29) % 256], np.uint8)
        for n in range(3):
            img = np.clip(colour + rng.normal(0, 25, (64, 64, 3)), 0, 255).astype(np.uint8)
            pts = get_template(112) * (64 / 140.0) + rng.uniform(3, 10, 2)
            cv2.imwrite(str(root / f'id{i}' / f'{n}.jpg'), img)
            lines.append(f'id{i}/{n}.jpg\t' + '\t'.join(f'{v:.1f}' for v in pts.ravel()))
    (root / 'landmarks.txt').write_text('\n'.join(lines) + '\n')
    return root
