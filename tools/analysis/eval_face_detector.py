"""Recall and precision of a face detector on photos with dlib-style box annotations.

    python tools/analysis/eval_face_detector.py $FACEREC_DATA/demo/dlib_faces/training.xml \
        $FACEREC_DATA/demo/dlib_faces/testing_with_face_landmarks.xml [--detector mtcnn] \
        [--landmarks LANDNET.xml|CONFIG --landmarks-checkpoint CKPT]

With 68-point annotations (``*_with_face_landmarks.xml``) it also reports the 5-point
error of the detector's own points and of a landmark model run on the detected boxes.
"""

import argparse
import json


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('annotations', nargs='+', help='dlib XML files (images beside them)')
    parser.add_argument('--detector', default='mtcnn', help="'mtcnn' or 'openvino'")
    parser.add_argument('--detector-model', help='face detection IR for --detector openvino')
    parser.add_argument('--score-threshold', type=float, help='lowest detection score kept')
    parser.add_argument('--iou', type=float, default=0.5, help='IoU of a true positive')
    parser.add_argument('--landmarks', help='landmark model: exported .xml/.onnx or a config')
    parser.add_argument('--landmarks-checkpoint', help='its checkpoint (PyTorch)')
    parser.add_argument('--refine', type=int, default=1, help='landmark refinement passes')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    from facerec.apis import FaceLandmarker, build_detector, load_inference_model
    from facerec.apis.detection_eval import evaluate_face_detector, load_dlib_faces

    detector = build_detector(args.detector, args.detector_model, args.score_threshold)
    landmarker = None
    if args.landmarks:
        model = load_inference_model(args.landmarks, args.landmarks_checkpoint)
        landmarker = FaceLandmarker(model, refine=args.refine)
    images = [item for path in args.annotations for item in load_dlib_faces(path)]
    result = evaluate_face_detector(detector, images, args.iou, landmarker)
    print(f'{len(images)} images, detector {detector!r}')
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()}))
    return result


if __name__ == '__main__':
    main()
