import numpy as np
from mmengine.config import Config

from facerec.evaluation.landmark_baseline import mean_landmark_baseline


def test_mean_baseline_against_a_direct_computation(identity_folder, tmp_path):
    # Landmarks: a jittered template per image; crops are the whole image (96x96 -> 48x48).
    rng = np.random.default_rng(0)
    base = np.array([[30, 40], [66, 40], [48, 55], [34, 70], [62, 70]], np.float32)
    lines, points = [], {}
    for i in range(4):
        for n in range(4):
            key = f'id{i:02d}/{n}.jpg'
            points[key] = base + rng.normal(0, 2, (5, 2)).astype(np.float32)
            lines.append(key + ' ' + ' '.join(f'{v:.3f}' for v in points[key].ravel()))
    (identity_folder / 'lm.txt').write_text('\n'.join(lines))
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='FixedFaceBox', box=(0, 0, 1, 1)),
        dict(type='CropFaceBox', output_size=48, box_source='bbox'),
        dict(type='PackFaceInputs'),
    ]
    dataset = dict(
        type='ImageFolderIdentities',
        data_root=str(identity_folder),
        landmark_file='lm.txt',
        pipeline=pipeline,
    )
    cfg = Config(
        dict(train_dataloader=dict(dataset=dataset), test_dataloader=dict(dataset=dataset))
    )
    result = mean_landmark_baseline(cfg)

    # By hand: crop pixels = (p + 0.5) * 48/96 - 0.5 (pixel centres), normalised by 48.
    crop = np.stack([(points[k] + 0.5) * 0.5 - 0.5 for k in sorted(points)]) / 48.0
    mean = crop.mean(0)
    np.testing.assert_allclose(result['mean_landmarks'], mean, atol=1e-4)
    errors = []
    for gt in crop:
        iod = np.linalg.norm(gt[0] - gt[1])
        errors.append(np.mean(np.linalg.norm(mean - gt, axis=1)) / iod)
    assert result['mean_error'] == np.float64(result['mean_error'])
    np.testing.assert_allclose(result['mean_error'], np.mean(errors), rtol=1e-3)
    assert result['failure_rate'] == np.mean(np.array(errors) > 0.1)
