"""Landmarks predicted by a trained landmark model, for aligning faces without a landmark file."""

import copy
from typing import Optional, Sequence, Union

import numpy as np
import torch

from facerec.registry import TRANSFORMS

from .alignment import transform_points
from .base import BaseTransform


@TRANSFORMS.register_module()
class LandmarksFromModel(BaseTransform):
    """Predict ``results['landmarks']`` with a landmark model (e.g. LandNet).

    The image is cropped the way the model was tested (its config's test
    pipeline, or ``pipeline``), the model regresses the points in the crop,
    and they are mapped back into image pixels through the crop's
    ``crop_matrix``. Put it before :class:`AlignFace`.

    The model is loaded lazily, once per process (each dataloader worker),
    and its checkpoint is loaded weights-only.

    Args:
        config: Path of the landmark model's config (or a config dict).
        checkpoint: Path of its checkpoint.
        pipeline: The crop steps to run on the loaded image; default: the
            config's test pipeline without its loading and packing steps.
        overwrite: Replace landmarks that are already in ``results``.
    """

    def __init__(
        self,
        config: Union[str, dict],
        checkpoint: str,
        pipeline: Optional[Sequence[dict]] = None,
        overwrite: bool = True,
    ):
        self.config = config
        self.checkpoint = checkpoint
        self.pipeline = None if pipeline is None else list(pipeline)
        self.overwrite = overwrite
        self._model = None
        self._steps = None

    def _load(self) -> None:
        from mmengine.config import Config

        from facerec.utils.model_loading import build_model

        cfg = Config.fromfile(self.config) if isinstance(self.config, str) else Config(self.config)
        self._model = build_model(cfg, self.checkpoint)
        steps = self.pipeline
        if steps is None:
            skip = {'LoadImageFromFile', 'PackFaceInputs'}
            steps = [t for t in cfg.test_dataloader.dataset.pipeline if t['type'] not in skip]
        self._steps = [TRANSFORMS.build(copy.deepcopy(dict(t))) for t in steps]

    @torch.no_grad()
    def predict(self, img: np.ndarray) -> np.ndarray:
        """Landmarks ``(K, 2)`` of the face in ``img`` (BGR uint8), in image pixels."""
        if self._model is None:
            self._load()
        crop = {'img': img, 'img_shape': img.shape[:2]}
        for step in self._steps:
            crop = step(crop)
        if 'crop_matrix' not in crop:
            raise KeyError(
                'The landmark pipeline must crop the face and set "crop_matrix" '
                f'(got steps {[type(s).__name__ for s in self._steps]})'
            )
        inputs = torch.from_numpy(np.ascontiguousarray(crop['img'].transpose(2, 0, 1)))
        data = self._model.data_preprocessor({'inputs': [inputs]}, training=False)
        h, w = data['inputs'].shape[-2:]
        points = self._model(data['inputs'], mode='tensor')[0].numpy() * np.array([w, h])
        inverse = _invert_affine(np.asarray(crop['crop_matrix'], dtype=np.float64))
        return transform_points(points, inverse).astype(np.float32)

    def transform(self, results: dict) -> dict:
        if results.get('landmarks') is None or self.overwrite:
            results['landmarks'] = self.predict(results['img'])
        return results

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state['_model'] = state['_steps'] = None  # reloaded in each worker
        return state


def _invert_affine(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a ``(2, 3)`` affine matrix."""
    full = np.vstack([matrix, [0.0, 0.0, 1.0]])
    return np.linalg.inv(full)[:2]
