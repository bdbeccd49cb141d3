"""Reading the demo's inputs (an image, a folder of images or a video) and writing videos."""

import os
import os.path as osp
from typing import Iterator, List, Optional, Tuple

import cv2
import numpy as np

from facerec.datasets.transforms import read_image

__all__ = [
    'IMAGE_EXTENSIONS',
    'VIDEO_EXTENSIONS',
    'input_kind',
    'list_images',
    'open_video',
    'read_frames',
    'read_image',
    'video_fps',
    'VideoSink',
]

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff', '.pgm', '.ppm')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg', '.mpeg', '.wmv')


def input_kind(path: str) -> str:
    """``'folder'``, ``'image'`` or ``'video'`` (by extension), or raise a clear error."""
    if osp.isdir(path):
        return 'folder'
    if not osp.exists(path):
        raise FileNotFoundError(f'Input not found: {path}')
    ext = osp.splitext(path)[1].lower()
    if ext in IMAGE_EXTENSIONS:
        return 'image'
    if ext in VIDEO_EXTENSIONS:
        return 'video'
    raise ValueError(
        f'{path}: unknown input type {ext!r}; expected an image ({", ".join(IMAGE_EXTENSIONS)}), '
        f'a video ({", ".join(VIDEO_EXTENSIONS)}) or a folder of images'
    )


def list_images(folder: str, recursive: bool = False) -> List[str]:
    """The image files of a folder (by extension), sorted."""
    if not osp.isdir(folder):
        raise NotADirectoryError(f'Not a folder: {folder}')
    found = []
    if recursive:
        for root, _, files in os.walk(folder):
            found += [osp.join(root, f) for f in files]
    else:
        found = [osp.join(folder, f) for f in os.listdir(folder)]
    return sorted(
        f for f in found if osp.isfile(f) and osp.splitext(f)[1].lower() in IMAGE_EXTENSIONS
    )


def open_video(path: str) -> cv2.VideoCapture:
    """Open a video file, or raise an error naming it."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Video file not found: {path}')
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        cap.release()
        raise OSError(f'Cannot open video (corrupt or unsupported format): {path}')
    return cap


def read_frames(path: str, max_frames: Optional[int] = None) -> Iterator[Tuple[int, np.ndarray]]:
    """``(index, BGR frame)`` of a video, or raise when it has no readable frame."""
    cap = open_video(path)
    try:
        index = 0
        while max_frames is None or index < max_frames:
            ok, frame = cap.read()
            if not ok or frame is None:
                break
            yield index, frame
            index += 1
        if index == 0:
            raise OSError(f'Cannot read any frame from video: {path}')
    finally:
        cap.release()


def video_fps(path: str, default: float = 25.0) -> float:
    """The frame rate a video declares, or ``default``."""
    cap = open_video(path)
    try:
        fps = cap.get(cv2.CAP_PROP_FPS)
    finally:
        cap.release()
    return float(fps) if fps and np.isfinite(fps) and fps > 0 else default


class VideoSink:
    """Write frames to a video file (MPEG-4 part 2 in ``.mp4``, MJPG in ``.avi``).

    Opened on the first frame, which fixes the size.
    """

    def __init__(self, path: str, fps: float):
        self.path = path
        self.fps = float(fps)
        self._writer: Optional[cv2.VideoWriter] = None
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        if self._writer is None:
            h, w = frame.shape[:2]
            codec = 'MJPG' if self.path.lower().endswith('.avi') else 'mp4v'
            os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
            self._writer = cv2.VideoWriter(
                self.path, cv2.VideoWriter_fourcc(*codec), self.fps, (w, h)
            )
            if not self._writer.isOpened():
                raise OSError(f'Cannot write video {self.path} with codec {codec}')
        self._writer.write(frame)
        self.frames += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def __enter__(self) -> 'VideoSink':
        return self

    def __exit__(self, *exc) -> None:
        self.close()
