"""Face models for inference behind one small interface.

An inference model takes a float32 ``(N, 3, H, W)`` batch of BGR images with raw
0..255 values at the model's input size (normalisation happens inside) and
returns a numpy array: a recogniser's unnormalised embeddings ``(N, D)``, a
landmark model's points ``(N, K, 2)`` normalised to the crop. Its ``meta`` dict
is the exported model's JSON sidecar (:mod:`facerec.deployment.metadata`):
``task``, ``input_size``, ``output_dim``, ``alignment``, ``checkpoint_sha256``...

Two backends: an exported model (OpenVINO ``.xml`` by default, or ONNX ``.onnx``)
run by :func:`facerec.deployment.load_exported_model`, and the PyTorch model built
from a facerec config with its checkpoint loaded weights-only, wrapped exactly as
it is exported (:class:`facerec.deployment.ExportWrapper`).
"""

import inspect
import os.path as osp
from abc import ABCMeta, abstractmethod
from typing import Any, Dict, Optional, Union

import numpy as np

__all__ = [
    'ExportedFaceModel',
    'InferenceModel',
    'TorchModel',
    'alignment_params',
    'load_inference_model',
]

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


class InferenceModel(metaclass=ABCMeta):
    """A face model run on numpy batches; see the module docstring.

    Attributes:
        meta: ``task``, ``input_size`` ``[H, W]``, ``output_dim``, ``alignment``
            (recognisers) and ``checkpoint_sha256``, as in an export sidecar.
        source: The model's file, for messages.
    """

    meta: Dict[str, Any]
    source: str

    @property
    def task(self) -> str:
        return self.meta['task']

    @property
    def input_size(self) -> tuple:
        return tuple(self.meta['input_size'])

    @abstractmethod
    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """Run the model on a float32 BGR 0..255 ``(N, 3, H, W)`` batch."""

    def fingerprint(self) -> str:
        """The SHA-256 of the checkpoint the weights come from ('' if unknown)."""
        return str(self.meta.get('checkpoint_sha256') or '')


class ExportedFaceModel(InferenceModel):
    """An exported model (``.xml`` or ``.onnx`` with its ``.json`` sidecar).

    A model exported elsewhere (a released OpenVINO IR, no sidecar) is described by the
    facerec config that names its architecture and preprocessing
    (:func:`~facerec.deployment.backend_model.config_metadata`).

    Args:
        path: The model file.
        device: Backend device (``'CPU'``).
        config: The config (path or dict) describing a model without a sidecar.
    """

    def __init__(self, path: str, device: str = 'CPU', config: Optional[Union[str, dict]] = None):
        from facerec.deployment import load_exported_model
        from facerec.deployment.backend_model import config_metadata
        from facerec.deployment.metadata import sidecar_path

        meta = None
        if config is not None and not osp.isfile(sidecar_path(path)):
            meta = config_metadata(_read_config(config), path)
        self.model = load_exported_model(path, device=device, meta=meta)
        self.meta = dict(self.model.meta)
        self.source = path

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self.model(batch)


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

        from facerec.deployment import ExportWrapper, build_model, find_input_size, task_of_output
        from facerec.deployment.metadata import alignment_of, config_test_pipeline, file_sha256

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
        self._torch = torch
        self.num_threads = num_threads
        self._device = torch.device(device)
        self._wrapper = ExportWrapper(model).to(self._device).eval()
        size = find_input_size(model)
        if size is None:
            raise ValueError(f'{name}: the model has no input_size to feed it images of')
        with torch.no_grad():
            out = self._wrapper(torch.zeros(1, 3, *size, device=self._device))
        task = task_of_output(out)
        self.source = checkpoint or name
        self.meta = dict(
            task=task,
            input_size=list(size),
            output_dim=int(out.shape[1]) if task == 'recognition' else list(out.shape[1:]),
            precision='fp32',
            input='BGR 0-255 NCHW',
            alignment=alignment_of(config_test_pipeline(cfg)) if task == 'recognition' else None,
            config=name,
            checkpoint=checkpoint,
            checkpoint_sha256=file_sha256(checkpoint) if checkpoint else '',
        )

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        h, w = self.input_size
        batch = np.asarray(batch, dtype=np.float32)
        if batch.ndim != 4 or batch.shape[1] != 3 or tuple(batch.shape[2:]) != (h, w):
            raise ValueError(
                f'{self.source} expects float32 BGR 0-255 images of shape (N, 3, {h}, {w}), '
                f'got {tuple(batch.shape)}'
            )
        torch = self._torch
        threads = torch.get_num_threads()
        if self.num_threads:
            torch.set_num_threads(self.num_threads)
        try:
            with torch.no_grad():
                inputs = torch.from_numpy(np.ascontiguousarray(batch)).to(self._device)
                if len(inputs) == 0:
                    return self._wrapper(inputs.new_zeros((1, 3, h, w)))[:0].cpu().numpy()
                return self._wrapper(inputs).float().cpu().numpy()
        finally:
            torch.set_num_threads(threads)


def load_inference_model(
    model: Union[str, dict],
    checkpoint: Optional[str] = None,
    device: Optional[str] = None,
) -> InferenceModel:
    """Load a face model for inference.

    Args:
        model: An exported ``.xml`` / ``.onnx`` model (with its ``.json`` sidecar),
            or a facerec config (path or dict) for the PyTorch backend.
        checkpoint: The PyTorch checkpoint (required with a config).
        device: ``'CPU'`` for exported models, ``'cpu'`` for torch by default.

    Returns:
        The model.
    """
    from facerec.deployment.runtime import BACKEND_SUFFIXES

    exported_suffixes = tuple(BACKEND_SUFFIXES.values())
    if isinstance(model, str):
        suffix = osp.splitext(model)[1].lower()
        if suffix in exported_suffixes:
            return ExportedFaceModel(model, device=device or 'CPU')
        if suffix not in CONFIG_SUFFIXES:
            raise ValueError(
                f'{model}: expected an exported model ({", ".join(exported_suffixes)}) or a '
                f'facerec config ({", ".join(CONFIG_SUFFIXES)})'
            )
    if checkpoint is None:
        raise ValueError(f'{model}: a PyTorch model needs its checkpoint')
    if osp.splitext(checkpoint)[1].lower() in exported_suffixes:
        return ExportedFaceModel(checkpoint, device=device or 'CPU', config=model)
    return TorchModel(model, checkpoint, device=device or 'cpu')
