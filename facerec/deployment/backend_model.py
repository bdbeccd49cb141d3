"""Evaluate an exported model with the runner: a BaseModel that runs the exported file."""

import os.path as osp
from typing import Any, Iterator, List, Optional, Union

import torch
from mmengine.model import BaseModel

from facerec.models.landmarks import LandmarkRegressor
from facerec.models.recognizers import FaceRecognizer
from facerec.registry import MODELS
from facerec.structures import FaceDataSample
from facerec.utils.checks import check_choice

from .metadata import sidecar_path
from .runtime import BACKEND_SUFFIXES, load_exported_model

#: Model types of each task, matched by class (subclasses count).
_TASK_CLASSES = (('recognition', 'FaceRecognizer'), ('landmarks', 'LandmarkRegressor'))


@MODELS.register_module()
class BackendModel(BaseModel):
    """The Runner's model that tests an exported model (:class:`~facerec.deployment.ExportedModel`).

    The dataloader gives uint8 BGR images; the data preprocessor here only stacks them
    and casts them to float (no channel swap, no normalisation), since the exported graph
    does the model's preprocessing itself. ``predict`` fills the same fields as the
    PyTorch models, so :class:`~facerec.evaluation.LFWMetric`,
    :class:`~facerec.evaluation.LandmarksMetric` and the others work unchanged:
    ``pred_feature`` (with ``flip_test``, the sum of the embeddings of the image and its
    mirror, as :class:`~facerec.models.FaceRecognizer` does) or ``pred_landmarks`` in
    pixels of the input image.

    Args:
        model_path: The exported model file, with its ``.json`` sidecar.
        backend: ``'openvino'`` or ``'onnxruntime'``; must match the file's suffix.
        flip_test: Add the embedding of the mirrored image (recognition only).
        expected_task: The task of the config the test runs with; a different task in
            the sidecar is an error.
        expected_input_size: ``(H, W)`` the config's model takes; a different input
            size in the sidecar is an error.
        device: Device of the backend (``'CPU'``).
        data_preprocessor: Config of the data preprocessor; default stacks and casts only.
        meta: Description of a model exported elsewhere, used instead of the sidecar
            (see :func:`config_metadata`).
    """

    def __init__(
        self,
        model_path: str,
        backend: str,
        flip_test: bool = False,
        expected_task: Optional[str] = None,
        expected_input_size: Optional[List[int]] = None,
        device: str = 'CPU',
        data_preprocessor: Optional[dict] = None,
        meta: Optional[dict] = None,
    ):
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='FaceDataPreprocessor', mean=None, std=None, bgr_to_rgb=False
            )
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor)
        check_choice('backend', backend, tuple(BACKEND_SUFFIXES))
        suffix = BACKEND_SUFFIXES[backend]
        if osp.splitext(model_path)[1].lower() != suffix:
            raise ValueError(
                f'The {backend} backend runs {suffix} files; got {model_path} (export with '
                f'--format {"openvino" if backend == "openvino" else "onnx"})'
            )
        self.exported = load_exported_model(model_path, device=device, meta=meta)
        meta = self.exported.meta
        if expected_task is not None and meta['task'] != expected_task:
            raise ValueError(
                f'{model_path} is a {meta["task"]} model but the config tests a '
                f'{expected_task} model'
            )
        if expected_input_size is not None and list(meta['input_size']) != list(
            expected_input_size
        ):
            raise ValueError(
                f'{model_path} takes {meta["input_size"][0]}x{meta["input_size"][1]} images '
                f"but the config's model takes {expected_input_size[0]}x"
                f'{expected_input_size[1]}; export the model from this config'
            )
        self.model_path = model_path
        self.task = meta['task']
        self.flip_test = bool(flip_test) and self.task == 'recognition'

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """The exported graph's output for a batch of raw images."""
        height, width = self.exported.input_size
        if inputs.dim() != 4 or tuple(inputs.shape[1:]) != (3, height, width):
            raise ValueError(
                f'{self.model_path} takes (N, 3, {height}, {width}) images but the test '
                f'dataloader gives {tuple(inputs.shape)}; export the model from this config '
                '(or fix the test pipeline)'
            )
        array = inputs.detach().to('cpu', torch.float32).numpy()
        return torch.from_numpy(self.exported(array))

    def forward(
        self,
        inputs: torch.Tensor,
        data_samples: Optional[List[FaceDataSample]] = None,
        mode: str = 'predict',
    ) -> Union[torch.Tensor, List[FaceDataSample]]:
        if mode == 'tensor':
            return self.extract_feat(inputs)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(
            f'An exported model only runs in "predict" or "tensor" mode, not {mode!r}'
        )

    def predict(
        self, inputs: torch.Tensor, data_samples: Optional[List[FaceDataSample]] = None
    ) -> List[FaceDataSample]:
        """Fill ``pred_feature`` or ``pred_landmarks`` of the data samples.

        The PyTorch model of the task predicts, with the exported graph as its
        ``extract_feat``, so both fill the same fields the same way.
        """
        return _TASK_PREDICT[self.task](self, inputs, data_samples)

    _image_size = staticmethod(LandmarkRegressor._image_size)


#: The ``predict`` of each task's PyTorch model, run by :class:`BackendModel`.
_TASK_PREDICT = {'recognition': FaceRecognizer.predict, 'landmarks': LandmarkRegressor.predict}


def _model_cfg_chain(model_cfg: Any) -> Iterator[dict]:
    """The model config and the configs it wraps (``architecture``, ``model``)."""
    while isinstance(model_cfg, dict):
        yield model_cfg
        model_cfg = model_cfg.get('architecture', model_cfg.get('model'))


def config_task(model_cfg: Any) -> Optional[str]:
    """``'recognition'`` or ``'landmarks'`` for a model config, None when not known."""
    for item in _model_cfg_chain(model_cfg):
        cls = MODELS.get(item.get('type')) if isinstance(item.get('type'), str) else None
        if cls is None:
            continue
        for task, base_name in _TASK_CLASSES:
            if any(base.__name__ == base_name for base in cls.__mro__):
                return task
    return None


def config_flip_test(model_cfg: Any) -> bool:
    """Whether a model config asks for flip test (``test_cfg.flip``)."""
    for item in _model_cfg_chain(model_cfg):
        test_cfg = item.get('test_cfg')
        if isinstance(test_cfg, dict):
            return bool(test_cfg.get('flip', False))
    return False


def config_input_size(model_cfg: Any) -> Optional[List[int]]:
    """The backbone ``input_size`` of a model config as ``[H, W]``, None when not given.

    The backbones' default input size is not looked up: only an explicit value counts.
    """
    for item in _model_cfg_chain(model_cfg):
        backbone = item.get('backbone')
        if isinstance(backbone, dict) and 'input_size' in backbone:
            size = backbone['input_size']
            if isinstance(size, int):
                return [size, size]
            if isinstance(size, (list, tuple)) and len(size) == 2:
                return [int(size[0]), int(size[1])]
    return None


def config_metadata(cfg: Any, model_path: str) -> dict:
    """Describe a model exported elsewhere (no sidecar) by the config that tests it.

    The model must take BGR 0..255 images, as the reference toolkit's and insightface's
    released IRs do (their scaling is inside the graph). The task and input size come from
    the config's model, the alignment from its test pipeline; the output size and the
    precision are read off the graph when it is loaded.

    Raises:
        ValueError: The config does not tell the task or the backbone's ``input_size``.
    """
    from .metadata import INPUT_FORMAT, alignment_of, config_test_pipeline, file_sha256

    task, input_size = config_task(cfg.model), config_input_size(cfg.model)
    if task is None or input_size is None:
        raise ValueError(
            f'{model_path} has no metadata file {sidecar_path(model_path)}; to run it, the '
            "config's model must name its type and its backbone's input_size"
        )
    weights = osp.splitext(model_path)[0] + '.bin'
    return dict(
        task=task,
        input_size=input_size,
        output_dim=None,
        precision=None,
        input=INPUT_FORMAT,
        alignment=alignment_of(config_test_pipeline(cfg)) if task == 'recognition' else None,
        config=getattr(cfg, 'filename', None),
        checkpoint_sha256=file_sha256(weights if osp.isfile(weights) else model_path),
    )


def use_exported_model(cfg: Any, model_path: str, backend: str, device: str = 'CPU') -> None:
    """Make a config test an exported model instead of its PyTorch model.

    ``cfg.model`` becomes a :class:`BackendModel` for ``model_path`` (with the
    config's flip test, task and input size to check against), and no checkpoint is loaded.
    A model without a sidecar (one exported elsewhere, e.g. a released OpenVINO IR) is
    described by the config (:func:`config_metadata`).
    """
    if not osp.isfile(model_path):
        raise FileNotFoundError(f'Exported model not found: {model_path}')
    model_cfg = cfg.model
    meta = None if osp.isfile(sidecar_path(model_path)) else config_metadata(cfg, model_path)
    cfg.model = dict(
        type='BackendModel',
        model_path=model_path,
        backend=backend,
        flip_test=config_flip_test(model_cfg),
        expected_task=config_task(model_cfg),
        expected_input_size=config_input_size(model_cfg),
        device=device,
        meta=meta,
    )
    cfg.load_from = None
    cfg.resume = False
