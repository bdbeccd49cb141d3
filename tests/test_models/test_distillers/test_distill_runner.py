"""A tiny distillation run through the Runner: train, resume, then test the student alone."""

import copy

import pytest
import torch
from distill_helpers import TEACHER_SIZE, student_model_cfg, write_teacher
from mmengine.config import Config

from facerec.deployment import ExportWrapper, build_model, export_openvino
from facerec.utils import build_runner, register_all_modules, set_test_metric


def distill_config(base: dict, train_root, teacher: dict) -> dict:
    cfg = copy.deepcopy(base)
    cfg['model'] = dict(
        type='EmbeddingDistiller',
        student=dict(student_model_cfg(), test_cfg=dict(flip=True)),
        teacher=teacher,
        distill_losses=[
            dict(type='CosineEmbeddingDistillLoss'),
            dict(type='RelationalDistillLoss', name='relation'),
        ],
        head_loss_weight=0.5,
    )
    train = cfg['train_dataloader']['dataset']
    train.update(
        data_root=str(train_root),
        landmark_file='landmarks.txt',
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(
                type='TeacherView',
                output_size=TEACHER_SIZE,
                template='openvino',
                border_mode='replicate',
            ),
            dict(type='AlignFace', output_size=32, border_mode='replicate'),
            dict(type='RandomFlip', prob=0.5),
            dict(type='PackTeacherInputs'),
        ],
    )
    cfg['custom_imports'] = dict(imports=['facerec.datasets.transforms.teacher_view'])
    cfg['default_hooks']['logger']['interval'] = 1
    cfg['vis_backends'] = cfg['visualizer']['vis_backends'] = [dict(type='LocalVisBackend')]
    return cfg


@pytest.mark.parametrize('kind', ['checkpoint', 'openvino'])
def test_distill_train_resume_and_test_student(
    kind, lfw_like, landmark_identities, tmp_path, make_tiny_config
):
    register_all_modules()
    teacher = write_teacher(tmp_path / 'teacher')
    if kind == 'openvino':
        model = build_model(Config.fromfile(teacher['config']), teacher['checkpoint'])
        path = str(tmp_path / 'teacher' / 'teacher.xml')
        export_openvino(ExportWrapper(model).eval(), path, (TEACHER_SIZE, TEACHER_SIZE))
        teacher = dict(model=path, config=teacher['config'])
    work = tmp_path / 'work'
    base = make_tiny_config(lfw_like, landmark_identities, work, max_epochs=1)
    cfg = distill_config(base, landmark_identities, teacher)

    runner = build_runner(Config(copy.deepcopy(cfg)))
    runner.train()
    assert runner.iter == 3  # 12 images, batches of 4
    scalars = runner.message_hub.log_scalars
    for key in ('train/loss_cls', 'train/loss_distill_cosine', 'train/loss_relation'):
        assert key in scalars, sorted(scalars)
    state = torch.load(work / 'epoch_1.pth', map_location='cpu', weights_only=False)['state_dict']
    assert all(k.startswith(('student.', 'data_preprocessor.')) for k in state)
    assert any(k.startswith('student.head.') for k in state)

    # Resume from epoch 1 and train one more epoch.
    resumed = copy.deepcopy(cfg)
    resumed.update(resume=True, load_from=str(work / 'epoch_1.pth'))
    resumed['train_cfg'].update(max_epochs=2, val_interval=2)
    runner = build_runner(Config(resumed))
    runner.train()
    assert runner.iter == 6 and runner.epoch == 2

    # tools/test.py CFG CKPT on the distillation config: the student alone.
    tested = copy.deepcopy(cfg)
    tested['model']['teacher'] = dict(config='no/teacher.py', checkpoint='no/teacher.pth')
    tested.update(load_from=str(work / 'epoch_2.pth'), resume=False, work_dir=str(tmp_path / 't'))
    tested = Config(tested)
    set_test_metric(tested, 'lfw')
    metrics = build_runner(tested).test()
    assert 0.0 <= metrics['lfw/auc'] <= 1.0, metrics
