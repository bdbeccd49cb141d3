import numpy as np
import pytest

from facerec.evaluation.functional import box_iou, detection_recall_precision, match_detections


def test_box_iou_by_hand():
    a = [[0, 0, 10, 10], [5, 5, 15, 15]]
    b = [[0, 0, 10, 10], [10, 10, 20, 20], [0, 0, 5, 20]]
    iou = box_iou(a, b)
    # [0,0,10,10] vs [0,0,5,20]: overlap 50, union 150.
    # [5,5,15,15] vs [0,0,10,10]: overlap 25, union 175; vs [10,10,20,20]: 25 / 175.
    expected = [[1, 0, 50 / 150], [25 / 175, 25 / 175, 0]]
    np.testing.assert_allclose(iou, expected)
    assert box_iou(np.zeros((0, 4)), b).shape == (0, 3)


def test_greedy_matching_takes_each_ground_truth_once():
    gt = [[0, 0, 10, 10], [20, 0, 30, 10]]
    pred = [[1, 0, 11, 10], [0, 0, 10, 10], [20, 1, 30, 11], [50, 50, 60, 60]]
    scores = [0.9, 0.8, 0.7, 0.95]
    matched, gt_iou = match_detections(pred, scores, gt, 0.5)
    # The 0.9 box comes first and takes gt 0; the exact 0.8 box is then a duplicate.
    assert matched.tolist() == [0, -1, 1, -1]
    np.testing.assert_allclose(gt_iou, [90 / 110, 90 / 110])
    assert match_detections([[0, 0, 1, 1]], [1.0], np.zeros((0, 4)))[0].tolist() == [-1]
    with pytest.raises(ValueError, match='scores'):
        match_detections(pred, scores[:2], gt)


def test_recall_precision_over_images():
    preds = [
        (np.array([[0, 0, 10, 10], [40, 40, 50, 50]]), np.array([0.9, 0.8])),
        (np.zeros((0, 4)), np.zeros(0)),
    ]
    gts = [np.array([[0, 0, 10, 12]]), np.array([[5, 5, 15, 15]])]
    r = detection_recall_precision(preds, gts, 0.5)
    assert r['true_positives'] == 1 and r['num_detections'] == 2 and r['num_ground_truth'] == 2
    assert r['recall'] == 0.5 and r['precision'] == 0.5
    assert r['mean_iou'] == pytest.approx(100 / 120)
    with pytest.raises(ValueError, match='2 predictions for 1 images'):
        detection_recall_precision(preds, gts[:1])
