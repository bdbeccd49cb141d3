from pathlib import Path

import numpy as np
import pytest
import torch
from distill_helpers import (
    STUDENT_SIZE,
    TEACHER_SIZE,
    make_samples,
    student_model_cfg,
    write_teacher,
)
from mmengine.config import Config

from facerec.deployment import ExportWrapper, build_model, export_openvino
from facerec.registry import MODELS, OPTIM_WRAPPERS
from facerec.utils import register_all_modules


def build_distiller(teacher: dict, **kwargs) -> torch.nn.Module:
    register_all_modules()
    torch.manual_seed(0)
    cfg = dict(
        type='EmbeddingDistiller',
        student=student_model_cfg(),
        teacher=teacher,
        distill_losses=[
            dict(type='CosineEmbeddingDistillLoss'),
            dict(type='RelationalDistillLoss', loss_weight=2.0),
        ],
    )
    cfg.update(kwargs)
    return MODELS.build(cfg)


def sgd(model):
    return OPTIM_WRAPPERS.build(
        dict(type='OptimWrapper', optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    )


def test_teacher_stays_frozen_and_out_of_the_state_dict(torch_teacher):
    model = build_distiller(torch_teacher)
    model.train()
    optim = sgd(model)
    data = make_samples()
    student_before = {k: v.clone() for k, v in model.student.state_dict().items()}
    log_vars = model.train_step(data, optim)
    for key in ('loss_cls', 'loss_distill_cosine', 'loss_distill_relation', 'loss'):
        assert np.isfinite(float(torch.as_tensor(log_vars[key]).detach())), key
    teacher = model.teacher.module
    teacher_before = {k: v.clone() for k, v in teacher.state_dict().items()}
    assert any('running_mean' in k for k in teacher_before)
    for _ in range(3):
        model.train()
        model.train_step(data, optim)
    assert not teacher.training and not any(m.training for m in teacher.modules())
    assert all(not p.requires_grad and p.grad is None for p in teacher.parameters())
    for key, value in teacher.state_dict().items():
        assert torch.equal(value, teacher_before[key]), key
    changed = [
        k for k, v in model.student.state_dict().items() if not torch.equal(v, student_before[k])
    ]
    assert any('running_mean' in k for k in changed) and any('weight' in k for k in changed)
    # The teacher is in no state dict and no optimiser.
    own = set(map(id, model.parameters()))
    assert not any(id(p) in own for p in teacher.parameters())
    keys = list(model.state_dict())
    assert keys and all(k.startswith(('student.', 'data_preprocessor.')) for k in keys)
    assert len(keys) == len(
        [k for k in model.state_dict() if k.startswith('student.')]
        + [k for k in model.state_dict() if k.startswith('data_preprocessor.')]
    )
    # The teacher's embeddings are those of its own model and preprocessing (BGR 0-255 in).
    reference = ExportWrapper(
        build_model(Config.fromfile(torch_teacher['config']), torch_teacher['checkpoint'])
    ).eval()
    views = torch.stack([s.teacher_inputs for s in data['data_samples']])
    with torch.no_grad():
        expected = reference(views.float())
    assert torch.allclose(model.teacher(views), expected, atol=1e-5)


def test_teacher_follows_device_and_dtype_moves(torch_teacher):
    model = build_distiller(torch_teacher)
    module = model.teacher.module
    model.double()
    assert next(module.parameters()).dtype == torch.float64
    model.to(torch.float32)
    assert next(module.parameters()).dtype == torch.float32


def test_other_modes_are_the_students(torch_teacher, tmp_path):
    model = build_distiller(dict(config='missing.py', checkpoint='missing.pth')).eval()
    data = model.data_preprocessor(make_samples(with_labels=False), False)
    feats = model(data['inputs'], mode='tensor')
    assert torch.equal(feats, model.student.extract_feat(data['inputs']))
    samples = model(data['inputs'], data['data_samples'], mode='predict')
    assert torch.allclose(
        samples[0].pred_feature, model.student.predict(data['inputs'])[0].pred_feature
    )
    assert model.data_preprocessor is model.student.data_preprocessor
    raw = torch.randint(0, 256, (2, 3, STUDENT_SIZE, STUDENT_SIZE)).float()
    assert torch.allclose(ExportWrapper(model)(raw), ExportWrapper(model.student)(raw))
    # Testing the student needs no teacher file; training does, and says which.
    model.train()
    with pytest.raises(FileNotFoundError, match='missing.py'):
        model.train_step(make_samples(), sgd(model))


def test_bare_student_checkpoint_loads_into_the_student(torch_teacher):
    model = build_distiller(torch_teacher)
    student = MODELS.build(student_model_cfg())
    model.load_state_dict(student.state_dict())
    for key, value in student.state_dict().items():
        assert torch.equal(model.student.state_dict()[key], value)
    model.load_state_dict(model.state_dict())  # its own checkpoints too


def test_exported_teacher_without_sidecar(tmp_path):
    files = write_teacher(tmp_path / 'teacher')
    torch_model = build_model(Config.fromfile(files['config']), files['checkpoint'])
    path = str(tmp_path / 'teacher.xml')
    export_openvino(ExportWrapper(torch_model).eval(), path, (TEACHER_SIZE, TEACHER_SIZE))
    model = build_distiller(dict(model=path, config=files['config']))
    model.train()
    data = make_samples()
    log_vars = model.train_step(data, sgd(model))
    assert np.isfinite(float(torch.as_tensor(log_vars['loss_distill_cosine']).detach()))
    assert model.teacher.module is None and model.teacher.input_size == (TEACHER_SIZE,) * 2
    views = torch.stack([s.teacher_inputs for s in data['data_samples']])
    with torch.no_grad():
        expected = ExportWrapper(torch_model)(views.float())
    assert torch.allclose(model.teacher(views), expected, atol=1e-3)


def test_head_loss_weight(torch_teacher):
    model = build_distiller(torch_teacher, head_loss_weight=0.0)
    model.train()
    log_vars = model.train_step(make_samples(with_labels=False), sgd(model))
    assert 'loss_cls' not in log_vars and 'loss_distill_cosine' in log_vars
    full = build_distiller(torch_teacher, head_loss_weight=1.0)
    half = build_distiller(torch_teacher, head_loss_weight=0.5)
    data = full.data_preprocessor(make_samples(), True)
    a = full.loss(data['inputs'], data['data_samples'])
    b = half.loss(data['inputs'], data['data_samples'])
    assert b['loss_cls'].item() == pytest.approx(0.5 * a['loss_cls'].item(), rel=1e-5)
    assert b['accuracy'].item() == pytest.approx(a['accuracy'].item())


def test_errors_name_what_is_wrong(torch_teacher):
    with pytest.raises(KeyError, match='unknown'):
        build_distiller(dict(torch_teacher, extra=1))
    with pytest.raises(KeyError, match='teacher needs'):
        build_distiller(dict(config='a.py'))
    no_head = dict(student_model_cfg(), head=None)
    with pytest.raises(ValueError, match='head_loss_weight'):
        build_distiller(torch_teacher, student=no_head)
    model = build_distiller(torch_teacher).train()
    data = make_samples()
    del data['data_samples'][1].teacher_inputs
    with pytest.raises(KeyError, match='img1.jpg has no teacher_inputs.*TeacherView'):
        model.train_step(data, sgd(model))
    with pytest.raises(
        ValueError, match=f'\\(N, 3, {TEACHER_SIZE}, {TEACHER_SIZE}\\).*TeacherView'
    ):
        model.train_step(make_samples(teacher_size=40), sgd(model))
    narrow = write_teacher(Path(torch_teacher['config']).parent / 'narrow', embedding_size=8)
    model = build_distiller(narrow).train()
    with pytest.raises(
        ValueError, match='student embedding size is 16.*teacher embedding size is 8'
    ):
        model.train_step(make_samples(), sgd(model))


def test_precomputed_teacher_embeddings(tmp_path):
    table = np.arange(5 * 16, dtype=np.float32).reshape(5, 16) % 7 - 3
    paths = np.array([f'img{i}.jpg' for i in range(5)])
    np.savez(tmp_path / 'teacher.npz', img_path=paths, embeddings=table)
    model = build_distiller(dict(embeddings=str(tmp_path / 'teacher.npz'))).train()
    data = make_samples()
    for s in data['data_samples']:
        del s.teacher_inputs
    batch = model.data_preprocessor(data, True)
    targets = model.teacher_embeddings(batch['data_samples'], torch.device('cpu'))
    assert torch.equal(targets, torch.from_numpy(table[:4]))
    log_vars = model.train_step(data, sgd(model))
    assert np.isfinite(float(torch.as_tensor(log_vars['loss_distill_cosine']).detach()))
    data['data_samples'][2].set_metainfo(dict(img_path='elsewhere/x.jpg'))
    with pytest.raises(KeyError, match='elsewhere/x.jpg'):
        model.train_step(data, sgd(model))
