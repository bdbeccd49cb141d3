"""Face models for inference behind one small interface, :class:`InferenceModel`.

Two backends: an exported model (OpenVINO ``.xml`` or ONNX ``.onnx``, an
:class:`~facerec.deployment.ExportedModel`) and :class:`TorchModel`, the PyTorch model built
from a facerec config with its checkpoint loaded weights-only, wrapped exactly as it is
exported. Both describe themselves as an export sidecar does
(:func:`~facerec.deployment.describe_model`).
"""

import inspect
import os.path as osp
from typing import Any, Dict, Optional, Union

import numpy as np

from facerec.deployment.runtime import BACKEND_SUFFIXES, InferenceModel, load_exported_model

__all__ = ['InferenceModel', 'TorchModel', 'alignment_params', 'load_inference_model']

#: File suffixes of configs.
CONFIG_SUFFIXES = ('.py', '.yml', '.yaml')


def alignment_params(meta: Dict[str, Any]) -> Dict[str, Any]:
    """The :class:`~facerec.datasets.transforms.AlignFace` arguments of a recogniser.

    ``meta['alignment']`` where present (keys AlignFace does not take, such as
    ``type``, are dropped); ``output_size`` defaults to the model's input size. A
    ``template`` of 5 points in crop pixels (what export sidecars record) becomes
    the same points as fractions of the crop, with ``template_scale`` 1. Values
    are normalised (sizes as ``[H, W]`` lists, defaults filled in) so two
    descriptions of one alignment compare equal.
    """
    from facerec.datasets.transforms import AlignFace

    accepted = set(inspect.signature(AlignFace.__init__).parameters) - {'self', 'template'}
    alignment = dict(meta.get('alignment') or {})
    params = {k: v for k, v in alignment.items() if k in accepted}
    params.setdefault('output_size', list(meta['input_size']))
    align = AlignFace(**params)
    result = dict(
        output_size=list(align.output_size),
        template_scale=float(align.template_scale),
        fallback=align.fallback,
        crop_ratio=float(align.crop_ratio),
        border_mode=align.border_mode,
    )
    if alignment.get('template') is not None:
        height, width = align.output_size
        points = np.asarray(alignment['template'], dtype=np.float64) / [width, height]
        result.update(template=np.round(points, 8).tolist(), template_scale=1.0)
    return result


def _read_config(config: Union[str, dict]) -> Any:
    """A config from its file (checked to exist) or a dict."""
    from mmengine.config import Config

    if isinstance(config, str) and not osp.isfile(config):
        raise FileNotFoundError(f'Config file not found: {config}')
    return Config.fromfile(config) if isinstance(config, str) else Config(config)


class TorchModel(InferenceModel):
    """A facerec PyTorch model: built from its config, checkpoint loaded weights-only.

    Runs :class:`facerec.deployment.ExportWrapper` around the model, the module
    that is exported, so both backends compute the same function: a
    ``FaceRecognizer``'s embedding (no flip) or a ``LandmarkRegressor``'s
    normalised points.

    Args:
        config: Path of the config file, or a config dict.
        checkpoint: Path of the checkpoint (``.pth``); None keeps the initial
            weights (tests only).
        device: torch device.
        num_threads: torch CPU threads while running (None: leave as is). The demo
            embeds a few faces at a time, which one thread does as fast, and more
            threads slow down badly on a busy machine.
    """

    def __init__(
        self,
        config: Union[str, dict],
        checkpoint: Optional[str],
        device: str = 'cpu',
        num_threads: Optional[int] = 1,
    ):
        import torch

        from facerec.deployment import ExportWrapper, describe_torch_model, find_input_size
        from facerec.utils.model_loading import build_model

        name = config if isinstance(config, str) else '<config dict>'
        cfg = _read_config(config)
        if checkpoint is not None and not osp.isfile(checkpoint):
            raise FileNotFoundError(f'Checkpoint not found: {checkpoint}')
        if 'model' not in cfg:
            raise KeyError(f'{name}: the config has no "model"')
        try:
            model = build_model(cfg, checkpoint)
        except RuntimeError as err:
            raise ValueError(f'{err} (config {name})') from err
        if find_input_size(model) is None:
            raise ValueError(f'{name}: the model has no input_size to feed it images of')
        self._torch = torch
        self.num_threads = num_threads
        self._device = torch.device(device)
        self._wrapper = ExportWrapper(model).to(self._device).eval()
        self.source = checkpoint or name
        self.meta = describe_torch_model(cfg, self._wrapper, checkpoint, config=name)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = self.check_batch(batch)
        torch = self._torch
        threads = torch.get_num_threads()
        if self.num_threads:
            torch.set_num_threads(self.num_threads)
        try:
            with torch.no_grad():
                inputs = torch.from_numpy(batch).to(self._device)
                if len(inputs) == 0:
                    empty = inputs.new_zeros((1, 3, *self.input_size))
                    return self._wrapper(empty)[:0].cpu().numpy()
                return self._wrapper(inputs).float().cpu().numpy()
        finally:
            torch.set_num_threads(threads)


def _exported_model(path: str, device: str, config: Optional[Union[str, dict]] = None):
    """An exported model; one without a sidecar (a released IR) is described by ``config``
    (:func:`~facerec.deployment.backend_model.config_metadata`)."""
    from facerec.deployment.backend_model import config_metadata
    from facerec.deployment.metadata import sidecar_path

    meta = None
    if config is not None and not osp.isfile(sidecar_path(path)):
        meta = config_metadata(_read_config(config), path)
    return load_exported_model(path, device=device, meta=meta)


def load_inference_model(
    model: Union[str, dict],
    checkpoint: Optional[str] = None,
    device: Optional[str] = None,
) -> InferenceModel:
    """Load a face model for inference.

    Args:
        model: An exported ``.xml`` / ``.onnx`` model (with its ``.json`` sidecar),
            or a facerec config (path or dict) for the PyTorch backend.
        checkpoint: The PyTorch checkpoint (required with a config), or an exported model
            without a sidecar (a released IR) that the config describes.
        device: ``'CPU'`` for exported models, ``'cpu'`` for torch by default.

    Returns:
        The model.
    """
    exported_suffixes = tuple(BACKEND_SUFFIXES.values())
    if isinstance(model, str):
        suffix = osp.splitext(model)[1].lower()
        if suffix in exported_suffixes:
            return _exported_model(model, device or 'CPU')
        if suffix not in CONFIG_SUFFIXES:
            raise ValueError(
                f'{model}: expected an exported model ({", ".join(exported_suffixes)}) or a '
                f'facerec config ({", ".join(CONFIG_SUFFIXES)})'
            )
    if checkpoint is None:
        raise ValueError(f'{model}: a PyTorch model needs its checkpoint')
    if osp.splitext(checkpoint)[1].lower() in exported_suffixes:
        return _exported_model(checkpoint, device or 'CPU', config=model)
    return TorchModel(model, checkpoint, device=device or 'cpu')
