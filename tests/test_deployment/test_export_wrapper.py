"""ExportWrapper: raw BGR pixels through the model's own preprocessing."""

import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseDataPreprocessor

from facerec.deployment import ExportWrapper, find_input_size, task_of_output


def reference_features(model, uint8_batch: torch.Tensor) -> torch.Tensor:
    """What the runner computes: the data preprocessor on uint8 images, then extract_feat."""
    data = model.data_preprocessor(dict(inputs=list(uint8_batch)), False)
    with torch.no_grad():
        return model.extract_feat(data['inputs'])


def test_wrapper_matches_preprocessor_and_extract_feat(tiny_recognizer):
    images = torch.randint(0, 256, (3, 3, 32, 32), dtype=torch.uint8)
    wrapper = ExportWrapper(tiny_recognizer).eval()
    with torch.no_grad():
        out = wrapper(images.float())
    ref = reference_features(tiny_recognizer, images)
    assert out.shape == (3, 16)
    assert out.abs().max() > 0.1  # a real signal, not squashed to zero
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    info = wrapper.preprocessor_info()
    assert info == dict(bgr_to_rgb=True, mean=[127.5] * 3, std=[128.0] * 3)


def test_wrapper_swaps_channels_and_normalises_by_hand(tiny_recognizer):
    images = torch.randint(0, 256, (2, 3, 32, 32)).float()
    wrapper = ExportWrapper(tiny_recognizer)
    expected = (images[:, [2, 1, 0]] - 127.5) / 128.0
    torch.testing.assert_close(wrapper.preprocess(images), expected)


def test_wrapper_landmarks(tiny_landmarker):
    images = torch.randint(0, 256, (2, 3, 48, 48), dtype=torch.uint8)
    wrapper = ExportWrapper(tiny_landmarker).eval()
    with torch.no_grad():
        out = wrapper(images.float())
    assert out.shape == (2, 5, 2)
    torch.testing.assert_close(out, reference_features(tiny_landmarker, images))
    assert task_of_output(out) == 'landmarks'
    assert find_input_size(tiny_landmarker) == (48, 48)


class PlainModel(nn.Module):
    """Any model with a data_preprocessor and extract_feat (no normalisation here)."""

    def __init__(self):
        super().__init__()
        self.data_preprocessor = BaseDataPreprocessor()
        self.fc = nn.Linear(3 * 8 * 8, 4)

    def extract_feat(self, x):
        return self.fc(x.flatten(1))


def test_wrapper_without_normalisation():
    model = PlainModel().eval()
    wrapper = ExportWrapper(model)
    x = torch.rand(2, 3, 8, 8) * 255
    assert wrapper.preprocessor_info() == dict(bgr_to_rgb=False, mean=None, std=None)
    torch.testing.assert_close(wrapper(x), model.extract_feat(x))
    assert find_input_size(model) is None


def test_wrapper_needs_extract_feat():
    with pytest.raises(TypeError, match='extract_feat'):
        ExportWrapper(nn.Linear(2, 2))


def test_task_of_output_rejects_other_shapes():
    assert task_of_output(torch.zeros(2, 8)) == 'recognition'
    with pytest.raises(ValueError, match=r'\(N, D\) embeddings or \(N, K, 2\) landmarks'):
        task_of_output(torch.zeros(2, 5, 3))
