"""List identity folders as ``path label [x1 y1 ... x5 y5]`` lines for FaceListIdentities.

Examples::

    # root/<identity>/<image>: labels 0..C-1 in sorted folder order
    python tools/dataset_converters/folder_to_list.py data/my_faces data/my_faces/list.txt

    # with 5-point landmarks (sphereface format, keys "identity/image.jpg")
    python tools/dataset_converters/folder_to_list.py data/my_faces data/my_faces/list.txt \\
        --landmarks data/my_faces/landmarks.txt --classes data/my_faces/classes.txt
"""

import argparse

from facerec.datasets.converters.lists import folders_to_list


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Identity folders to an image list')
    parser.add_argument('img_root', help='image folder, one sub-folder per identity')
    parser.add_argument('out_file', help='the list to write')
    parser.add_argument('--landmarks', help='landmark file, lines "identity/image.jpg x1 y1 ..."')
    parser.add_argument('--classes', help='also write "label identity" lines to this file')
    parser.add_argument(
        '--skip-missing-landmarks',
        action='store_true',
        help='leave out images the landmark file has no entry for',
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    lines = folders_to_list(
        args.img_root,
        args.out_file,
        landmark_file=args.landmarks,
        class_file=args.classes,
        skip_missing_landmarks=args.skip_missing_landmarks,
    )
    print(f'Wrote {len(lines)} lines to {args.out_file} (paths relative to {args.img_root})')


if __name__ == '__main__':
    main()
