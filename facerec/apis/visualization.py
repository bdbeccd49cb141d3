"""Drawing recognised faces: boxes, names with similarity, and the 5 points."""

from typing import Optional, Sequence

import cv2
import numpy as np

__all__ = ['draw_faces']

KNOWN_COLOUR = (60, 200, 60)
UNKNOWN_COLOUR = (40, 40, 230)


def draw_faces(
    img: np.ndarray,
    boxes: np.ndarray,
    labels: Sequence[str],
    known: Sequence[bool],
    landmarks: Optional[np.ndarray] = None,
) -> np.ndarray:
    """A copy of ``img`` with each face's box and label drawn.

    Args:
        img: BGR image.
        boxes: ``(N, 4)`` face boxes.
        labels: Text per face (e.g. ``'obama 0.71'``).
        known: Per face, whether it was recognised (green) or not (red).
        landmarks: Optional ``(N, K, 2)`` points, drawn as dots.

    Returns:
        The annotated image.
    """
    out = img.copy()
    h, w = out.shape[:2]
    thickness = max(1, round(max(h, w) / 500))
    font_scale = max(0.4, max(h, w) / 1400)
    for i, box in enumerate(np.asarray(boxes, dtype=np.float64).reshape(-1, 4)):
        colour = KNOWN_COLOUR if known[i] else UNKNOWN_COLOUR
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, thickness)
        if landmarks is not None:
            for x, y in landmarks[i]:
                cv2.circle(out, (int(round(x)), int(round(y))), thickness + 1, colour, -1)
        text = str(labels[i])
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thickness)
        ty = y1 - base - 2 if y1 - th - base - 4 >= 0 else y2 + th + 2
        tx = min(max(x1, 0), max(w - tw - 2, 0))
        cv2.rectangle(out, (tx, ty - th - 2), (tx + tw + 2, ty + base), colour, -1)
        cv2.putText(
            out,
            text,
            (tx + 1, ty),
            cv2.FONT_HERSHEY_SIMPLEX,
            font_scale,
            (255, 255, 255),
            thickness,
            cv2.LINE_AA,
        )
    return out
