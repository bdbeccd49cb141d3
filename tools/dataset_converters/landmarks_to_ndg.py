"""Convert a sphereface-style landmark list to an NDG landmark JSON.

Examples::

    # Face crops (box side = 2 x the landmarks' extent) with landmarks in crop pixels
    python tools/dataset_converters/landmarks_to_ndg.py \\
        data/lfw/lfw_deepfunneled_landmark.txt data/lfw/lfw-deepfunneled \\
        data/lfw_ndg/annotations.json --out-dir data/lfw_ndg/crops

    # The original images with their landmarks
    python tools/dataset_converters/landmarks_to_ndg.py LANDMARKS IMG_ROOT OUT.json --no-crop
"""

import argparse

from facerec.datasets.converters import convert_landmarks_to_ndg


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Landmark list (sphereface format) to NDG JSON')
    parser.add_argument('landmark_file', help='lines "Name/Name_0001.jpg x1 y1 ... x5 y5"')
    parser.add_argument('img_root', help='folder the listed image paths are relative to')
    parser.add_argument('out_file', help='the NDG JSON to write')
    parser.add_argument('--out-dir', help='folder for the face crops (required unless --no-crop)')
    parser.add_argument(
        '--no-crop', action='store_true', help='list the original images and landmarks'
    )
    parser.add_argument(
        '--expand', type=float, default=2.0, help='box side / largest landmark extent (2.0)'
    )
    parser.add_argument(
        '--size', type=int, help='resize crops to SIZE x SIZE (default: the box size in pixels)'
    )
    parser.add_argument(
        '--skip-missing', action='store_true', help='leave out images that do not exist'
    )
    args = parser.parse_args()
    if not args.no_crop and not args.out_dir:
        parser.error('--out-dir is required unless --no-crop is given')
    return args


def main() -> None:
    args = parse_args()
    entries = convert_landmarks_to_ndg(
        args.landmark_file,
        args.img_root,
        args.out_file,
        out_dir=args.out_dir,
        crop=not args.no_crop,
        expand=args.expand,
        crop_size=args.size,
        skip_missing=args.skip_missing,
    )
    where = args.img_root if args.no_crop else args.out_dir
    print(f'Wrote {len(entries)} entries to {args.out_file} (image paths relative to {where})')


if __name__ == '__main__':
    main()
