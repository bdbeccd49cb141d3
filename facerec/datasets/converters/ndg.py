"""Converting a sphereface-style landmark list to the NDG JSON of :class:`NDGLandmarks`."""

import json
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from facerec.utils.checks import check_positive_int, check_positive_number

from ..annotation_io import load_landmark_file
from ..transforms.alignment import transform_points
from ..transforms.landmark_transforms import crop_box, landmark_box
from ..transforms.loading import read_image


def write_ndg_json(entries: Sequence[dict], path: str) -> None:
    """Write NDG entries (``{"path": ..., "lm": [[x, y], ...]}``) as a JSON list, one per line."""
    folder = osp.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    body = ',\n'.join(json.dumps(e) for e in entries)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(f'[\n{body}\n]\n' if entries else '[]\n')


def _pixel_aligned(box: np.ndarray) -> Tuple[np.ndarray, Tuple[int, int]]:
    """Snap a box to whole pixels of its own size, so cropping copies pixels unchanged.

    Returns:
        The box (edges at half-integers, since pixel centres are integers) and
        its ``(H, W)`` in pixels.
    """
    x1, y1, x2, y2 = box
    w, h = max(1, int(round(x2 - x1))), max(1, int(round(y2 - y1)))
    left = np.floor((x1 + x2) / 2.0 - w / 2.0 + 1.0) - 0.5
    top = np.floor((y1 + y2) / 2.0 - h / 2.0 + 1.0) - 0.5
    return np.array([left, top, left + w, top + h]), (h, w)


def _write_image(path: str, img: np.ndarray, jpeg_quality: int) -> None:
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    ext = osp.splitext(path)[1] or '.jpg'
    params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if ext.lower() in ('.jpg', '.jpeg') else []
    ok, data = cv2.imencode(ext, img, params)
    if not ok:
        raise OSError(f'Cannot encode image as {ext}: {path}')
    data.tofile(path)


def _round_points(points: np.ndarray) -> List[List[float]]:
    return [[round(float(x), 3), round(float(y), 3)] for x, y in points]


def convert_landmarks_to_ndg(
    landmark_file: str,
    img_root: str,
    out_file: str,
    out_dir: Optional[str] = None,
    crop: bool = True,
    expand: float = 2.0,
    crop_size: Optional[int] = None,
    skip_missing: bool = False,
    jpeg_quality: int = 95,
) -> List[dict]:
    """Turn a landmark list and its images into an NDG JSON of face crops.

    ``landmark_file`` is in the sphereface format
    (``Name/Name_0001.jpg x1 y1 ... x5 y5``, paths relative to ``img_root``).
    With ``crop``, each image's face box is derived from its landmarks by the
    rule of ``CropFaceBox(box_source='landmarks', square=True, expand=expand)``
    (:func:`landmark_box`), the crop is written to ``out_dir`` under the same
    relative path and its landmarks are given in crop pixels. Without
    ``crop``, the JSON lists the original images with their landmarks.

    Paths in the JSON are relative: read it back with
    ``NDGLandmarks(ann_file=out_file, data_prefix=out_dir)`` (crops) or
    ``data_prefix=img_root`` (no crop).

    Args:
        landmark_file: The landmark list.
        img_root: Folder the listed paths are relative to.
        out_file: The JSON file to write.
        out_dir: Folder for the crops (required with ``crop``).
        crop: Write face crops, else list the original images.
        expand: Box side as a multiple of the landmarks' largest extent.
        crop_size: Resize crops to this square size; None keeps the box's own
            pixel size (whole pixels, copied without resampling).
        skip_missing: Leave out listed images that do not exist, instead of
            raising FileNotFoundError.
        jpeg_quality: Quality of JPEG crops.

    Returns:
        The entries written.
    """
    if crop and not out_dir:
        raise ValueError('out_dir is required when writing crops (or pass crop=False)')
    check_positive_number('expand', expand)
    if crop_size is not None:
        check_positive_int('crop_size', crop_size)
    if not osp.isdir(img_root):
        raise FileNotFoundError(f'Image folder not found: {img_root}')
    entries = []
    for rel, points in load_landmark_file(landmark_file).items():
        img_path = osp.join(img_root, rel)
        if not osp.isfile(img_path):
            if skip_missing:
                continue
            raise FileNotFoundError(f'Image file not found: {img_path} (listed in {landmark_file})')
        rel = rel.replace(osp.sep, '/')
        if not crop:
            entries.append(dict(path=rel, lm=_round_points(points)))
            continue
        try:
            box = landmark_box(points, expand)
        except ValueError as e:
            raise ValueError(f'{landmark_file}: image {rel!r}: {e}') from None
        if crop_size is None:
            box, size = _pixel_aligned(box)
        else:
            size = (crop_size, crop_size)
        face, matrix = crop_box(read_image(img_path), box, size)
        _write_image(osp.join(out_dir, rel), face, jpeg_quality)
        entries.append(dict(path=rel, lm=_round_points(transform_points(points, matrix))))
    write_ndg_json(entries, out_file)
    return entries
