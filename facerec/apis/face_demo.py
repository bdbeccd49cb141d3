"""The face recognition demo: build the pipeline, enroll a gallery, recognise images and videos.

``tools/demo.py`` is the command line over these functions.
"""

import json
import os
import os.path as osp
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from facerec.evaluation.functional import leave_one_out_accuracy
from facerec.registry import DETECTORS

from .face_gallery import FaceGallery, GalleryError
from .face_pipeline import FaceRecognitionPipeline, FrameFaces, StageTimer
from .inference_model import load_inference_model
from .media import VideoSink, input_kind, list_images, read_frames, read_image, video_fps
from .visualization import draw_faces

#: The short detector names of the command line.
DETECTOR_NAMES = {'mtcnn': 'MTCNNDetector', 'openvino': 'OpenVINOSSDDetector'}

#: Paddings (fractions of the longer side) tried in turn on an enrollment photo
#: where no face is found: a face filling a tight crop is often missed otherwise.
PAD_RETRY = (0.25, 0.5)

Log = Callable[[str], None]


def build_detector(
    name: Union[str, dict] = 'mtcnn',
    model: Optional[str] = None,
    score_threshold: Optional[float] = None,
    **kwargs,
):
    """A detector from a short name (``mtcnn``, ``openvino``), a registered type or a config.

    Args:
        name: ``'mtcnn'``, ``'openvino'``, a type registered in ``DETECTORS`` or a config dict.
        model: The IR of an OpenVINO detector.
        score_threshold: Lowest confidence kept (None: the detector's default).
        kwargs: Other arguments of the detector.
    """
    cfg = dict(name) if isinstance(name, dict) else dict(type=DETECTOR_NAMES.get(name, name))
    if model is not None:
        cfg['model'] = model
    if cfg['type'] == 'OpenVINOSSDDetector' and 'model' not in cfg:
        raise ValueError('The openvino detector needs its IR: pass --detector-model MODEL.xml')
    if score_threshold is not None:
        cfg['score_threshold'] = score_threshold
    cfg.update(kwargs)
    if DETECTORS.get(cfg['type']) is None:
        known = sorted(set(DETECTOR_NAMES) | set(DETECTORS.module_dict))
        raise ValueError(f'Unknown detector {cfg["type"]!r}; known: {", ".join(known)}')
    return DETECTORS.build(cfg)


def build_pipeline(
    recognizer: str,
    recognizer_checkpoint: Optional[str] = None,
    landmarks: Optional[str] = None,
    landmarks_checkpoint: Optional[str] = None,
    detector: Union[str, dict] = 'mtcnn',
    detector_model: Optional[str] = None,
    detector_threshold: Optional[float] = None,
    flip: bool = False,
    landmark_refine: int = 1,
) -> FaceRecognitionPipeline:
    """The demo's pipeline from model files.

    Args:
        recognizer: Recogniser: an OpenVINO ``.xml`` or a facerec config.
        recognizer_checkpoint: Its checkpoint, for a config: a ``.pth``, or a model
            exported elsewhere (a released ``.xml``) that the config describes.
        landmarks: Landmark model (``.xml`` or config), or None / ``'detector'`` to
            use the detector's own points.
        landmarks_checkpoint: Its checkpoint, for a config (``.pth`` or ``.xml``).
        detector: Detector name or config (see :func:`build_detector`).
        detector_model: The detector's IR, for ``openvino``.
        detector_threshold: The detector's lowest score kept.
        flip: Add the mirrored face's embedding.
        landmark_refine: Passes of the landmark model on a crop around its previous
            points (0: the detector's box only, for a model trained on detector boxes).
    """
    rec = load_inference_model(recognizer, recognizer_checkpoint)
    lm = None
    if landmarks not in (None, 'detector'):
        lm = load_inference_model(landmarks, landmarks_checkpoint)
    det = build_detector(detector, detector_model, detector_threshold)
    return FaceRecognitionPipeline(det, rec, lm, flip=flip, landmark_refine=landmark_refine)


def gallery_path(path: str) -> str:
    """``path`` itself for a ``.npz`` file, else ``path/gallery.npz`` (a folder)."""
    return path if path.endswith('.npz') else osp.join(path, 'gallery.npz')


def _largest(faces: FrameFaces) -> int:
    b = faces.detections.boxes
    return int(np.argmax((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])))


def identity_photos(root: str) -> Dict[str, List[str]]:
    """The photos of each person under ``root``, by name, sorted.

    ``root/<person>/<photos>``: one folder per person, several photos each (image
    files beside the folders, such as group photos, are not enrolled). A ``root``
    without subfolders holds one photo per person, named by the file's stem
    (``root/alice.jpg``).

    Raises:
        NotADirectoryError: ``root`` is not a folder.
        GalleryError: ``root`` holds neither person folders nor photos.
    """
    if not osp.isdir(root):
        raise NotADirectoryError(f'Enrollment images folder not found: {root}')
    folders = sorted(d for d in os.listdir(root) if osp.isdir(osp.join(root, d)))
    if folders:
        people = {name: list_images(osp.join(root, name)) for name in folders}
    else:
        people = {osp.splitext(osp.basename(p))[0]: [p] for p in list_images(root)}
    if not people:
        raise GalleryError(
            f'{root} holds no person folders or photos (expected {root}/<name>/<photos> '
            f'or {root}/<name>.jpg)'
        )
    return people


def embed_identity_folders(
    pipeline: FaceRecognitionPipeline,
    root: str,
    pad_retry: Sequence[float] = PAD_RETRY,
    log: Optional[Log] = print,
) -> Tuple[np.ndarray, List[int], List[str], List[str], List[str]]:
    """Embed the largest face of every photo of each person (see :func:`identity_photos`).

    Returns:
        ``(embeddings (M, D), labels, names, sources, skipped)``: ``labels`` index
        ``names`` (the people with at least one face), ``skipped`` lists
        ``'path: reason'`` for photos without a face.

    Raises:
        NotADirectoryError / GalleryError: ``root`` holds no people.
        FileNotFoundError / OSError: A photo cannot be read (the message names it).
    """
    embeddings, labels, names, sources, skipped = [], [], [], [], []
    for person, photos in identity_photos(root).items():
        found = 0
        for path in photos:
            faces = pipeline(read_image(path), pad_retry=pad_retry)
            if len(faces) == 0:
                skipped.append(f'{path}: no face found')
                continue
            if len(faces) > 1 and log:
                log(f'{path}: {len(faces)} faces, enrolling the largest')
            embeddings.append(faces.embeddings[_largest(faces)])
            labels.append(len(names))
            sources.append(osp.relpath(path, root))
            found += 1
        if found:
            names.append(person)
        elif log:
            log(f'{person}: no face in its {len(photos)} photo(s); not enrolled')
    for line in skipped:
        if log:
            log(f'skipped {line}')
    if not embeddings:
        raise GalleryError(f'No face found in any photo under {root}: the gallery would be empty')
    return np.stack(embeddings), labels, names, sources, skipped


def enroll_gallery(
    pipeline: FaceRecognitionPipeline,
    images_root: str,
    output: Optional[str] = None,
    pad_retry: Sequence[float] = PAD_RETRY,
    log: Optional[Log] = print,
) -> FaceGallery:
    """Build (and save to ``output``, a ``.npz`` or a folder) the gallery of ``images_root``.

    Each photo of ``images_root/<person>/`` (or ``images_root/<person>.jpg``)
    contributes the embedding of its largest face; photos without a face are
    skipped with a message.
    """
    emb, labels, names, sources, _ = embed_identity_folders(pipeline, images_root, pad_retry, log)
    gallery = FaceGallery(emb, labels, names, sources, meta=dict(model=pipeline.describe_model()))
    if output is not None:
        path = gallery.save(gallery_path(output))
        if log:
            counts = np.bincount(gallery.labels, minlength=len(names))
            log(
                f'Enrolled {len(names)} people from {len(labels)} photos into {path}: '
                + ', '.join(f'{n} ({c})' for n, c in zip(names, counts))
            )
    return gallery


def load_gallery(path: str, pipeline: FaceRecognitionPipeline) -> FaceGallery:
    """Read a gallery and check it was enrolled with the pipeline's recogniser."""
    path = gallery_path(path) if osp.isdir(path) else path
    gallery = FaceGallery.load(path)
    gallery.check_model(pipeline.describe_model(), path)
    return gallery


def _frame_record(
    faces: FrameFaces, gallery: FaceGallery, threshold: float, mode: str
) -> Tuple[dict, List[str], List[bool]]:
    people, sims = gallery.match(faces.embeddings, threshold, mode)
    records, labels, known = [], [], []
    for i in range(len(faces)):
        name = gallery.name_of(int(people[i]))
        records.append(
            dict(
                box=[round(float(v), 1) for v in faces.detections.boxes[i]],
                score=round(float(faces.detections.scores[i]), 4),
                name=name,
                similarity=round(float(sims[i]), 4),
                landmarks=np.round(faces.landmarks[i], 1).tolist(),
            )
        )
        labels.append(f'{name} {sims[i]:.2f}')
        known.append(people[i] >= 0)
    return dict(faces=records), labels, known


def recognize(
    pipeline: FaceRecognitionPipeline,
    gallery: FaceGallery,
    input_path: str,
    output_dir: str,
    threshold: float,
    mode: str = 'mean',
    max_frames: Optional[int] = None,
    log: Optional[Log] = print,
) -> dict:
    """Recognise the faces of an image, a folder of images or a video.

    Writes into ``output_dir`` the annotated image(s) (same file names) or the
    annotated video (``<stem>.mp4``), and ``summary.json``: per frame the faces
    (box, detector score, name or ``unknown``, similarity, 5 points), how often
    each person was seen, and the throughput.

    Returns:
        The summary.
    """
    kind = input_kind(input_path)
    os.makedirs(output_dir, exist_ok=True)
    pipeline.timer = StageTimer()
    frames: List[dict] = []
    start = time.perf_counter()

    def annotate(img: np.ndarray, source: str, index: Optional[int] = None) -> np.ndarray:
        faces = pipeline(img)
        record, labels, known = _frame_record(faces, gallery, threshold, mode)
        record = dict(source=source, **({} if index is None else dict(frame=index)), **record)
        frames.append(record)
        return draw_faces(img, faces.detections.boxes, labels, known, faces.landmarks)

    outputs = _annotate_input(input_path, kind, output_dir, annotate, max_frames)
    elapsed = time.perf_counter() - start
    summary = dict(
        input=input_path,
        kind=kind,
        outputs=outputs,
        threshold=threshold,
        match_mode=mode,
        gallery_people=gallery.names,
        frames=frames,
        frames_with_person=_frames_with_person(frames),
        throughput=dict(
            frames=len(frames),
            faces=sum(len(f['faces']) for f in frames),
            seconds=round(elapsed, 3),
            frames_per_second=round(len(frames) / elapsed, 2) if elapsed else None,
            stages=pipeline.timer.summary(),
        ),
    )
    summary_path = osp.join(output_dir, 'summary.json')
    with open(summary_path, 'w', encoding='utf-8') as f:
        json.dump(summary, f, indent=1)
    if log:
        _log_summary(summary, elapsed, summary_path, log)
    return summary


def _annotate_input(
    input_path: str,
    kind: str,
    output_dir: str,
    annotate: Callable[..., np.ndarray],
    max_frames: Optional[int] = None,
) -> List[str]:
    """Write the annotated frames of a video, an image or a folder; returns the files."""
    if kind == 'video':
        out_path = osp.join(output_dir, osp.splitext(osp.basename(input_path))[0] + '.mp4')
        with VideoSink(out_path, video_fps(input_path)) as sink:
            for index, frame in read_frames(input_path, max_frames):
                sink.write(annotate(frame, osp.basename(input_path), index))
        return [out_path]
    paths = [input_path] if kind == 'image' else list_images(input_path)
    if not paths:
        raise FileNotFoundError(f'No images in folder {input_path}')
    outputs = []
    for path in paths:
        img = read_image(path)
        out_path = osp.join(output_dir, osp.basename(path))
        if not cv2.imwrite(out_path, annotate(img, osp.basename(path))):
            raise OSError(f'Cannot write {out_path}')
        outputs.append(out_path)
    return outputs


def _frames_with_person(frames: List[dict]) -> Dict[str, int]:
    """How many frames show each name (``unknown`` included)."""
    seen: Dict[str, int] = {}
    for frame in frames:
        for name in sorted({face['name'] for face in frame['faces']}):
            seen[name] = seen.get(name, 0) + 1
    return seen


def _log_summary(summary: dict, elapsed: float, summary_path: str, log: Log) -> None:
    throughput, outputs = summary['throughput'], summary['outputs']
    log(
        f'{throughput["frames"]} frame(s), {throughput["faces"]} face(s) in {elapsed:.2f} s '
        f'({throughput["frames"] / elapsed:.2f} frames/s); people seen: '
        f'{summary["frames_with_person"]}; wrote {", ".join(outputs[:3])}'
        f'{" ..." if len(outputs) > 3 else ""} and {summary_path}'
    )
    for stage, t in throughput['stages'].items():
        log(f'  {stage}: {t["items"]} in {t["seconds"]:.2f} s ({t["per_second"]}/s)')


def evaluate_leave_one_out(
    pipeline: FaceRecognitionPipeline,
    root: str,
    pad_retry: Sequence[float] = PAD_RETRY,
    log: Optional[Log] = print,
) -> dict:
    """Leave-one-out identification over ``root/<person>/<photos>`` (largest face per photo).

    Returns:
        ``accuracy_mean`` and ``accuracy_nearest`` (the two match modes of
        :class:`~facerec.apis.FaceGallery`), ``chance`` (1 / number of people), the
        numbers of photos and people, and the photos without a face (``skipped``,
        left out of the accuracy).
    """
    emb, labels, names, _, skipped = embed_identity_folders(pipeline, root, pad_retry, log)
    result = dict(
        people=len(names),
        photos=len(labels),
        skipped=skipped,
        chance=1.0 / len(names),
        accuracy_mean=leave_one_out_accuracy(emb, labels, 'mean'),
        accuracy_nearest=leave_one_out_accuracy(emb, labels, 'nearest'),
    )
    if log:
        log(
            f'Leave-one-out identification over {result["photos"]} photos of {result["people"]} '
            f'people: {100 * result["accuracy_mean"]:.1f} % (person mean), '
            f'{100 * result["accuracy_nearest"]:.1f} % (nearest photo); chance '
            f'{100 * result["chance"]:.1f} %'
        )
    return result
