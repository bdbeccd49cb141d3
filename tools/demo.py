"""Face recognition demo: enroll a gallery of known people, recognise them in images and videos.

    python tools/demo.py enroll --gallery G.npz --images ROOT --model REC.xml [--landmarks LM.xml]
    python tools/demo.py recognize --gallery G.npz --input IMAGE|VIDEO|FOLDER --output OUT_DIR \\
        --model REC.xml [--landmarks LM.xml]
    python tools/demo.py evaluate --images ROOT --model REC.xml [--landmarks LM.xml]

Models are exported files (OpenVINO ``.xml``, the default backend, or ONNX ``.onnx``,
with their ``.json`` sidecar, from tools/deployment/export.py), or a facerec config with
``--checkpoint`` / ``--landmarks-checkpoint``: a PyTorch ``.pth``, or a released IR
without sidecar that the config describes (configs/pretrained/).
"""

import argparse
import sys

#: Cosine similarity below which a face is "unknown" (see README, Demo).
DEFAULT_THRESHOLD = 0.35


def add_model_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group('models')
    group.add_argument(
        '--model',
        required=True,
        help='recogniser: exported .xml/.onnx (with its .json), or a config with --checkpoint',
    )
    group.add_argument(
        '--checkpoint',
        help='recogniser checkpoint (.pth), or the released .xml/.onnx the config describes',
    )
    group.add_argument(
        '--landmarks',
        default='detector',
        help="landmark model (.xml/.onnx, or a config with --landmarks-checkpoint); 'detector' "
        "(default) uses the detector's own 5 points (MTCNN)",
    )
    group.add_argument(
        '--landmarks-checkpoint',
        help='landmark model checkpoint (.pth), or the released .xml the config describes',
    )
    group.add_argument(
        '--landmark-refine',
        type=int,
        default=1,
        help='passes of the landmark model around its previous points (default 1; 0 for a '
        'model trained on detector boxes, such as landmarks-regression-retail-0009)',
    )
    group.add_argument(
        '--detector', default='mtcnn', help="'mtcnn' (default) or 'openvino' (--detector-model)"
    )
    group.add_argument('--detector-model', help='face detection IR for --detector openvino')
    group.add_argument('--detector-threshold', type=float, help='lowest detection score kept')
    group.add_argument('--flip', action='store_true', help='add the embedding of the mirrored face')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)

    enroll = sub.add_parser('enroll', help='build a gallery from ROOT/<person>/<photos>')
    enroll.add_argument('--gallery', required=True, help='output .npz, or a folder for gallery.npz')
    enroll.add_argument(
        '--images', required=True, help='ROOT/<person>/<photos>, or ROOT/<person>.jpg files'
    )
    add_model_args(enroll)

    rec = sub.add_parser('recognize', help='name the faces of an image, folder or video')
    rec.add_argument('--gallery', required=True, help='gallery .npz written by enroll')
    rec.add_argument('--input', required=True, help='image, folder of images, or video')
    rec.add_argument('--output', required=True, help='folder for annotated files + summary.json')
    rec.add_argument(
        '--threshold',
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f'lowest cosine similarity of a match (default {DEFAULT_THRESHOLD})',
    )
    rec.add_argument(
        '--match',
        choices=['mean', 'nearest'],
        default='mean',
        help="compare with each person's mean embedding (default) or nearest photo",
    )
    rec.add_argument('--max-frames', type=int, help='stop a video after this many frames')
    add_model_args(rec)

    ev = sub.add_parser('evaluate', help='leave-one-out identification over ROOT/<person>/')
    ev.add_argument('--images', required=True, help='folder with one subfolder per person')
    add_model_args(ev)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from facerec.apis import (
        GalleryError,
        build_pipeline,
        enroll_gallery,
        evaluate_leave_one_out,
        load_gallery,
        recognize,
    )

    try:
        pipeline = build_pipeline(
            args.model,
            args.checkpoint,
            landmarks=args.landmarks,
            landmarks_checkpoint=args.landmarks_checkpoint,
            detector=args.detector,
            detector_model=args.detector_model,
            detector_threshold=args.detector_threshold,
            flip=args.flip,
            landmark_refine=args.landmark_refine,
        )
        if args.command == 'enroll':
            enroll_gallery(pipeline, args.images, args.gallery)
        elif args.command == 'recognize':
            gallery = load_gallery(args.gallery, pipeline)
            recognize(
                pipeline,
                gallery,
                args.input,
                args.output,
                threshold=args.threshold,
                mode=args.match,
                max_frames=args.max_frames,
            )
        else:
            evaluate_leave_one_out(pipeline, args.images)
    except (GalleryError, OSError, ValueError, ImportError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
