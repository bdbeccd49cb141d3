"""The teacher's view of a training face, for knowledge distillation.

A teacher may want another crop than the student (another input size, alignment template or
colour handling). :class:`TeacherView`, placed before the student's ``AlignFace``, aligns
the loaded image with the teacher's own ``AlignFace`` settings and keeps the crop in
``results['teacher_img']`` (uint8 BGR ``H x W x 3``). :class:`PackTeacherInputs`, used in
place of ``PackFaceInputs``, packs the sample as ``PackFaceInputs`` does and adds that crop
to the data sample as ``teacher_inputs`` (uint8 ``(3, H, W)`` tensor, BGR, 0-255), mirrored
when ``RandomFlip`` flipped the student's image. Augmentations between the two transforms
reach the student only; put those the teacher should see before ``TeacherView``.
"""

from typing import Optional

import cv2
import numpy as np
import torch

from facerec.registry import TRANSFORMS

from .alignment import AlignFace, SizeType, TemplateType
from .base import BaseTransform
from .formatting import PackFaceInputs

#: Results key of the teacher's crop, and data-sample field of the packed crop.
TEACHER_IMG_KEY = 'teacher_img'
TEACHER_INPUTS_FIELD = 'teacher_inputs'


@TRANSFORMS.register_module()
class TeacherView(BaseTransform):
    """Align the face for the teacher into ``results['teacher_img']``; ``img`` is unchanged.

    The crop is made by :class:`~facerec.datasets.transforms.AlignFace` with the given
    settings from ``results['img']`` and ``results['landmarks']`` (5 points in image pixels).

    Args:
        output_size: The teacher's input size, int or ``(H, W)``.
        template: The teacher's 5-point template (``'arcface'``, ``'openvino'`` or 5 points).
        template_scale: Zoom of the template about the crop centre.
        border_mode: ``'constant'`` or ``'replicate'``.
        fallback: ``'error'`` (default: the teacher's targets are only meaningful on faces
            aligned as it was trained) or ``'center'`` (centre crop) for images without
            landmarks.
        crop_ratio: Fraction of the image the centre-crop fallback keeps.
    """

    def __init__(
        self,
        output_size: SizeType = 112,
        template: TemplateType = None,
        template_scale: float = 1.0,
        border_mode: str = 'constant',
        fallback: str = 'error',
        crop_ratio: float = 1.0,
    ):
        self.align = AlignFace(
            output_size=output_size,
            template_scale=template_scale,
            fallback=fallback,
            crop_ratio=crop_ratio,
            border_mode=border_mode,
            template=template,
        )

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        view = {
            k: results[k] for k in ('img_path', 'img_source', 'landmarks_source') if k in results
        }
        view['img'] = img
        if results.get('landmarks') is not None:
            view['landmarks'] = np.array(results['landmarks'], dtype=np.float64, copy=True)
        view = self.align(view)
        crop = view['img']
        if crop.dtype != np.uint8:
            crop = np.clip(np.round(crop), 0, 255).astype(np.uint8)
        results[TEACHER_IMG_KEY] = crop
        return results


@TRANSFORMS.register_module()
class PackTeacherInputs(PackFaceInputs):
    """``PackFaceInputs`` plus the teacher's crop as ``data_samples.teacher_inputs``.

    Args:
        meta_keys: As ``PackFaceInputs``.
        follow_flip: Mirror the teacher's crop when ``results['flip']`` is true (set by
            ``RandomFlip``), so both models see the same face.
    """

    def __init__(self, meta_keys: Optional[tuple] = None, follow_flip: bool = True):
        if meta_keys is None:
            super().__init__()
        else:
            super().__init__(meta_keys=meta_keys)
        self.follow_flip = bool(follow_flip)

    def transform(self, results: dict) -> dict:
        crop = results.get(TEACHER_IMG_KEY)
        if crop is None:
            name = results.get('img_path') or results.get('img_source') or '<image>'
            raise KeyError(
                f'No {TEACHER_IMG_KEY!r} for {name}: put TeacherView(...) in the training '
                'pipeline before AlignFace'
            )
        if self.follow_flip and results.get('flip', False):
            crop = crop[:, ::-1]
        packed = super().transform(results)
        tensor = torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1)))
        packed['data_samples'].set_field(tensor, TEACHER_INPUTS_FIELD)
        return packed
