"""Score the mean-landmarks baseline of a landmark config on its test set.

``python tools/analysis/landmarks_mean_baseline.py configs/landnet_lfw_celeba.py``
"""

import argparse

import numpy as np

from facerec.evaluation.landmark_baseline import mean_landmark_baseline
from facerec.utils import add_config_args, load_config


def main() -> None:
    parser = argparse.ArgumentParser(description='Mean-landmarks baseline of a landmark config')
    parser.add_argument('config')
    parser.add_argument('--max-train-samples', type=int, help='use the first N training samples')
    args = add_config_args(parser).parse_args()
    cfg = load_config(
        args.config, args.cfg_options, args.work_dir, allow_new_keys=args.cfg_new_keys
    )
    result = mean_landmark_baseline(cfg, args.max_train_samples)
    points = np.array2string(result['mean_landmarks'].ravel(), precision=3)
    print(f'Mean training landmarks (normalised): {points}')
    print(f'Normalized mean error: {result["mean_error"]:.4f}')
    print('Per-point error: ' + ' '.join(f'{e:.3f}' for e in result['per_point_error']))
    print(f'Failure rate @0.1: {result["failure_rate"]:.4f}')


if __name__ == '__main__':
    main()
