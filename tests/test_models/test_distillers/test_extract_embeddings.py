import numpy as np
import pytest
import torch
from distill_helpers import TEACHER_SIZE, student_model_cfg
from mmengine.config import Config

from facerec.registry import DATASETS, MODELS, OPTIM_WRAPPERS, TRANSFORMS
from facerec.utils import register_all_modules

TOOL = 'tools/analysis/extract_embeddings.py'


def test_extract_then_distill_from_the_table(
    torch_teacher, landmark_identities, tmp_path, load_tool
):
    register_all_modules()
    dataset = dict(
        type='ImageFolderIdentities',
        data_root=str(landmark_identities),
        landmark_file='landmarks.txt',
        pipeline=[],
    )
    data_config = tmp_path / 'data.py'
    Config(dict(train_dataloader=dict(dataset=dataset))).dump(str(data_config))
    table = load_tool(TOOL).extract_embeddings(
        torch_teacher['config'],
        torch_teacher['checkpoint'],
        str(data_config),
        batch_size=5,
        flip=True,
    )
    out = tmp_path / 'teacher.npz'
    np.savez(out, **table)
    with np.load(out, allow_pickle=False) as data:
        paths, embeddings = data['img_path'], data['embeddings']
        flipped = data['embeddings_flip']
    assert len(paths) == 12 and embeddings.shape == (12, 16) and embeddings.dtype == np.float32
    assert flipped.shape == embeddings.shape and not np.allclose(flipped, embeddings)

    # The stored embedding is the teacher's on its own aligned crop of the image.
    model = MODELS.build(
        dict(
            type='EmbeddingDistiller',
            student=student_model_cfg(),
            teacher=dict(embeddings=str(out)),
            distill_losses=[dict(type='MSEEmbeddingDistillLoss')],
        )
    )
    reference = MODELS.build(
        dict(type='EmbeddingDistiller', student=student_model_cfg(), teacher=torch_teacher)
    )
    pipeline = [
        TRANSFORMS.build(t)
        for t in (
            dict(type='LoadImageFromFile'),
            dict(type='TeacherView', output_size=TEACHER_SIZE, template='openvino'),
            dict(type='AlignFace', output_size=32),
            dict(type='PackTeacherInputs'),
        )
    ]
    train = DATASETS.build(dict(dataset, pipeline=pipeline))
    batch = [train[i] for i in range(4)]
    views = torch.stack([b['data_samples'].teacher_inputs for b in batch])
    expected = reference.teacher(views)
    samples = [b['data_samples'] for b in batch]
    assert torch.allclose(
        model.teacher_embeddings(samples, torch.device('cpu')), expected, atol=1e-5
    )

    # A flipped sample gets the teacher's embedding of the mirrored crop.
    flip_pipeline = pipeline[:3] + [TRANSFORMS.build(dict(type='RandomFlip', prob=1.0))]
    flipped_train = DATASETS.build(dict(dataset, pipeline=flip_pipeline + pipeline[3:]))
    flipped_batch = [flipped_train[i] for i in range(4)]
    flipped_samples = [b['data_samples'] for b in flipped_batch]
    assert all(s.flip for s in flipped_samples)
    flipped_views = torch.stack([s.teacher_inputs for s in flipped_samples])
    assert torch.allclose(
        model.teacher_embeddings(flipped_samples, torch.device('cpu')),
        reference.teacher(flipped_views),
        atol=1e-5,
    )

    data = dict(inputs=[b['inputs'] for b in batch], data_samples=samples)
    optim = OPTIM_WRAPPERS.build(
        dict(type='OptimWrapper', optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    )
    log_vars = model.train().train_step(data, optim)
    assert np.isfinite(float(torch.as_tensor(log_vars['loss_distill_mse']).detach()))


def test_extract_needs_a_train_dataset(torch_teacher, load_tool):
    with pytest.raises(KeyError, match='train_dataloader'):
        load_tool(TOOL).extract_embeddings(torch_teacher['config'], torch_teacher['checkpoint'])
