"""Aligning faces with landmarks predicted by a landmark model checkpoint."""

import pickle

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from facerec.datasets import LFWPairs
from facerec.datasets.transforms import (
    FixedFaceBox,
    LandmarksFromModel,
    estimate_similarity_transform,
    get_template,
)
from facerec.registry import MODELS, TRANSFORMS

BOX = (0.1, 0.1, 0.9, 0.9)


@pytest.fixture
def landnet_files(tmp_path):
    """A LandNet config file and a checkpoint of a (randomly initialised) model."""
    crop = [
        dict(type='FixedFaceBox', box=BOX),
        dict(type='CropFaceBox', output_size=48, box_source='bbox'),
    ]
    cfg = dict(
        model=dict(type='LandmarkRegressor', backbone=dict(type='LandNet', input_size=48)),
        test_dataloader=dict(
            dataset=dict(
                type='LFWPairs',
                pipeline=[dict(type='LoadImageFromFile'), *crop, dict(type='PackFaceInputs')],
            )
        ),
    )
    cfg_path = tmp_path / 'landnet.py'
    Config(cfg).dump(str(cfg_path))
    torch.manual_seed(0)
    model = MODELS.build(cfg['model'])
    model.init_weights()
    with torch.no_grad():  # spread the outputs so the mapping back is exercised
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    ckpt = tmp_path / 'landnet.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    return cfg_path, ckpt, model.eval()


def expected_landmarks(model, img):
    """Crop by hand, run the model, map back with OpenCV's inverse."""
    h, w = img.shape[:2]
    x1, y1, x2, y2 = BOX[0] * w - 0.5, BOX[1] * h - 0.5, BOX[2] * w - 0.5, BOX[3] * h - 0.5
    crop = TRANSFORMS.build(dict(type='CropFaceBox', output_size=48, box_source='bbox'))(
        dict(img=img, bbox=np.array([x1, y1, x2, y2], np.float32))
    )
    x = torch.from_numpy(crop['img'][..., ::-1].copy()).permute(2, 0, 1).float()[None]
    with torch.no_grad():
        pts = model.backbone((x - 127.5) / 128.0)[0].numpy() * 48
    inv = cv2.invertAffineTransform(crop['crop_matrix'].astype(np.float64))
    return pts @ inv[:, :2].T + inv[:, 2]


def test_landmarks_come_from_the_model(lfw_like, landnet_files):
    cfg_path, ckpt, model = landnet_files
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LandmarksFromModel', config=str(cfg_path), checkpoint=str(ckpt)),
    ]
    ds = LFWPairs(data_root=str(lfw_like), landmark_file='landmarks.txt', pipeline=pipeline)
    results = ds.pipeline(ds.get_data_info(0))
    file_points = ds.get_data_info(0)['landmarks']
    expected = expected_landmarks(model, cv2.imread(ds.get_data_info(0)['img_path']))
    np.testing.assert_allclose(results['landmarks'], expected, atol=1e-2)  # pixels
    assert not np.allclose(results['landmarks'], file_points, atol=1.0)  # replaced, not kept


def test_alignment_uses_predicted_landmarks(lfw_like, landnet_files):
    cfg_path, ckpt, model = landnet_files
    predict = dict(type='LandmarksFromModel', config=str(cfg_path), checkpoint=str(ckpt))
    pipeline = [dict(type='LoadImageFromFile'), predict, dict(type='AlignFace', output_size=32)]
    ds = LFWPairs(data_root=str(lfw_like), pipeline=pipeline)  # no landmark file at all
    out = ds.pipeline(ds.get_data_info(3))
    img = cv2.imread(ds.get_data_info(3)['img_path'])
    predicted = LandmarksFromModel(str(cfg_path), str(ckpt)).predict(img)
    np.testing.assert_allclose(predicted, expected_landmarks(model, img), atol=1e-2)
    assert out['img'].shape == (32, 32, 3)
    # AlignFace warped with the similarity fitted to the predicted points.
    fitted = estimate_similarity_transform(predicted, get_template(32))
    np.testing.assert_allclose(out['align_matrix'], fitted, atol=1e-6)


def test_pickles_for_workers_and_keeps_existing_landmarks(landnet_files):
    cfg_path, ckpt, _ = landnet_files
    t = LandmarksFromModel(str(cfg_path), str(ckpt), overwrite=False)
    img = np.zeros((64, 64, 3), np.uint8)
    keep = np.ones((5, 2), np.float32)
    assert t(dict(img=img, landmarks=keep))['landmarks'] is keep
    t.predict(img)  # loads the model
    clone = pickle.loads(pickle.dumps(t))
    assert clone._model is None
    np.testing.assert_allclose(clone.predict(img), t.predict(img), atol=1e-5)


def test_refuses_untrusted_checkpoint_and_needs_a_crop(tmp_path, landnet_files):
    cfg_path, ckpt, _ = landnet_files
    evil = torch.load(ckpt, weights_only=False)
    evil['meta'] = {'x': FixedFaceBox((0, 0, 1, 1))}  # an arbitrary object
    torch.save(evil, tmp_path / 'evil.pth')
    with pytest.raises(pickle.UnpicklingError, match='evil.pth'):
        LandmarksFromModel(str(cfg_path), str(tmp_path / 'evil.pth')).predict(
            np.zeros((64, 64, 3), np.uint8)
        )
    no_crop = LandmarksFromModel(
        str(cfg_path), str(ckpt), pipeline=[dict(type='FixedFaceBox', box=BOX)]
    )
    with pytest.raises(KeyError, match='crop_matrix'):
        no_crop.predict(np.zeros((64, 64, 3), np.uint8))
