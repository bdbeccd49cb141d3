import numpy as np
import pytest
import torch

from facerec.datasets.transforms import AlignFace, get_template
from facerec.datasets.transforms.teacher_view import PackTeacherInputs, TeacherView
from facerec.registry import TRANSFORMS


def sample(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (80, 70, 3), dtype=np.uint8)
    points = get_template(112) * 0.5 + rng.uniform(5, 10, 2)
    return dict(img=img, landmarks=points.astype(np.float32), img_path='a/b.jpg', gt_label=1)


def test_teacher_view_is_align_face_with_the_teachers_settings():
    results = sample()
    img, points = results['img'].copy(), results['landmarks'].copy()
    view = TRANSFORMS.build(
        dict(type='TeacherView', output_size=48, template='openvino', border_mode='replicate')
    )
    results = view(results)
    expected = AlignFace(output_size=48, template='openvino', border_mode='replicate')(
        dict(img=img, landmarks=points)
    )['img']
    assert results['teacher_img'].dtype == np.uint8 and results['teacher_img'].shape == (48, 48, 3)
    assert np.array_equal(results['teacher_img'], expected)
    # The student's image and points are untouched.
    assert np.array_equal(results['img'], img) and np.array_equal(results['landmarks'], points)


def test_teacher_view_needs_landmarks_by_default():
    results = sample()
    del results['landmarks']
    with pytest.raises(KeyError, match='a/b.jpg'):
        TeacherView(output_size=48)(results)
    out = TeacherView(output_size=48, fallback='center')(results)
    assert out['teacher_img'].shape == (48, 48, 3)


@pytest.mark.parametrize('flip', [False, True])
def test_pack_teacher_inputs_follows_the_flip(flip):
    results = TeacherView(output_size=48)(sample())
    results = AlignFace(output_size=32)(results)
    results['flip'] = flip
    crop = results['teacher_img']
    packed = PackTeacherInputs()(results)
    sample_ = packed['data_samples']
    assert packed['inputs'].shape == (3, 32, 32) and int(sample_.gt_label) == 1
    expected = crop[:, ::-1] if flip else crop
    assert sample_.teacher_inputs.dtype == torch.uint8
    assert torch.equal(sample_.teacher_inputs, torch.from_numpy(expected.transpose(2, 0, 1).copy()))
    assert sample_.metainfo['img_path'] == 'a/b.jpg'


def test_pack_teacher_inputs_without_teacher_view():
    with pytest.raises(KeyError, match='a/b.jpg.*TeacherView'):
        PackTeacherInputs()(AlignFace(output_size=32)(sample()))
