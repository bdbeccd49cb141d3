"""compare_outputs against values computed by hand."""

import numpy as np
import pytest

from facerec.deployment import compare_outputs, format_parity


def test_compare_outputs_by_hand():
    ref = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 4.0]])
    out = np.array([[1.0, 1.0], [0.0, 2.0], [3.0, 4.5]])
    stats = compare_outputs(ref, out)
    cos0 = 1 / np.sqrt(2)
    cos2 = (9 + 18) / (5 * np.sqrt(9 + 20.25))
    assert stats['num_samples'] == 3
    assert stats['max_abs_diff'] == pytest.approx(1.0)
    assert stats['mean_abs_diff'] == pytest.approx(1.5 / 6)
    assert stats['max_abs_ref'] == pytest.approx(4.0)
    assert stats['cosine_min'] == pytest.approx(cos0)
    assert stats['cosine_mean'] == pytest.approx((cos0 + 1 + cos2) / 3)
    assert 'cosine mean' in format_parity(stats, 'openvino fp32')


def test_compare_outputs_landmarks_and_zeros():
    ref = np.zeros((2, 5, 2))
    out = np.zeros((2, 5, 2))
    out[1, 0, 0] = 0.5
    stats = compare_outputs(ref, out)
    assert stats['max_abs_diff'] == 0.5
    assert stats['cosine_mean'] == pytest.approx(0.5)  # zero == zero; zero vs non-zero is 0
    with pytest.raises(ValueError, match='different shapes'):
        compare_outputs(ref, out[:1])
    with pytest.raises(ValueError, match='empty'):
        compare_outputs(ref[:0], out[:0])
