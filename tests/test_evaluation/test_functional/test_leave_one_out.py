import numpy as np
import pytest

from facerec.evaluation.functional import leave_one_out_accuracy, leave_one_out_predictions


def test_leave_one_out_by_hand():
    # Class 0 along x (three items), class 1 along y (two items), one ambiguous item.
    emb = np.array(
        [
            [1.0, 0.0],
            [0.9, 0.1],
            [0.6, 0.8],  # class 0, but closer to class 1's direction
            [0.1, 1.0],
            [0.0, 2.0],
        ]
    )
    labels = np.array([0, 0, 0, 1, 1])
    # nearest: item 2's most similar other item is item 3 (cos 0.86; item 1: 0.68).
    assert leave_one_out_predictions(emb, labels, 'nearest').tolist() == [0, 0, 1, 1, 1]
    # mean: item 2 vs the normalised mean of unit items 0, 1 (0.9985, 0.0553) -> 0.64; vs
    # class 1's, of (0.0995, 0.995) and (0, 1), (0.0498, 0.9988) -> 0.83: class 1 again.
    assert leave_one_out_predictions(emb, labels, 'mean').tolist() == [0, 0, 1, 1, 1]
    assert leave_one_out_accuracy(emb, labels, 'mean') == pytest.approx(0.8)


def test_mean_mode_leaves_the_item_out_of_its_own_mean():
    # Item 0 alone would pull its class mean towards itself; without it, class 0's mean is
    # item 1, which is further from item 0 than class 1 is.
    emb = np.array([[1.0, 0.0], [0.0, 1.0], [0.8, 0.6], [0.8, 0.6]])
    labels = np.array([0, 0, 1, 1])
    assert leave_one_out_predictions(emb, labels, 'mean')[0] == 1


def test_errors():
    with pytest.raises(ValueError, match='single item'):
        leave_one_out_accuracy(np.eye(3), [0, 0, 1])
    with pytest.raises(ValueError, match='mode'):
        leave_one_out_accuracy(np.eye(2), [0, 0], 'median')
    with pytest.raises(ValueError, match='N >= 2'):
        leave_one_out_accuracy(np.eye(2), [0, 0, 1])
