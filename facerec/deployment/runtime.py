"""Running exported models: OpenVINO (``.xml``) and onnxruntime (``.onnx``) backends."""

import functools
import os.path as osp
from abc import ABCMeta, abstractmethod
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .metadata import read_metadata, sidecar_path

#: File suffix of each backend's models.
BACKEND_SUFFIXES = {'openvino': '.xml', 'onnxruntime': '.onnx'}


def backend_of(path: str) -> str:
    """The backend that runs a model file, from its suffix (``.xml`` or ``.onnx``)."""
    suffix = osp.splitext(path)[1].lower()
    for backend, expected in BACKEND_SUFFIXES.items():
        if suffix == expected:
            return backend
    raise ValueError(
        f'Cannot tell the backend of {path}: expected an OpenVINO .xml or an ONNX .onnx file'
    )


def _static_dims(shape: Sequence) -> List[Optional[int]]:
    """Dimensions as ints, None where dynamic."""
    return [int(d) if isinstance(d, (int, np.integer)) and d >= 0 else None for d in shape]


def _check_one_input_output(path: str, inputs: Sequence, outputs: Sequence, note: str = ''):
    if len(inputs) != 1 or len(outputs) != 1:
        raise ValueError(
            f'{path}: expected one input and one output{note}, the graph has {len(inputs)} '
            f'inputs and {len(outputs)} outputs'
        )


@functools.cache
def openvino_core():
    """The process's one ``openvino.Core``, shared by every model it reads and compiles (a
    Core per model loads the device plugins again for each)."""
    import openvino as ov

    return ov.Core()


def read_openvino_model(path: str, note: str = '') -> Tuple[Any, Any]:
    """Read an OpenVINO IR that has one input and one output.

    Args:
        path: The ``.xml`` file.
        note: What the output should be, added to the error message.

    Returns:
        The ``openvino.Core`` and the model it read.
    """
    core = openvino_core()
    model = core.read_model(path)
    _check_one_input_output(path, model.inputs, model.outputs, note)
    return core, model


class InferenceModel(metaclass=ABCMeta):
    """A face model run on numpy batches: an :class:`ExportedModel` or a PyTorch one.

    ``model(batch)`` takes float32 ``(N, 3, H, W)`` BGR 0..255 images of the model's
    ``input_size`` (normalisation happens inside) and returns a recogniser's unnormalised
    embeddings ``(N, D)`` or a landmark model's points ``(N, K, 2)`` as ``(x / W, y / H)``.

    Attributes:
        meta: ``task``, ``input_size`` ``[H, W]``, ``output_dim``, ``alignment``
            (recognisers) and ``checkpoint_sha256``, as in an export sidecar
            (:func:`~facerec.deployment.metadata.describe_model`).
        source: The model's file, for messages.
    """

    meta: Dict[str, Any]
    source: str

    @property
    def task(self) -> str:
        """``'recognition'`` or ``'landmarks'``."""
        return self.meta['task']

    @property
    def input_size(self) -> Tuple[int, int]:
        """``(H, W)`` of the input images."""
        return tuple(self.meta['input_size'])

    @abstractmethod
    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """Run the model on a float32 BGR 0..255 ``(N, 3, H, W)`` batch."""

    def fingerprint(self) -> str:
        """The SHA-256 of the checkpoint the weights come from ('' if unknown)."""
        return str(self.meta.get('checkpoint_sha256') or '')

    def check_batch(self, batch: np.ndarray) -> np.ndarray:
        """Return ``batch`` as a contiguous float32 array, or raise a ValueError naming
        the model when it is not ``(N, 3, H, W)`` of the model's input size."""
        batch = np.asarray(batch)
        if not np.issubdtype(batch.dtype, np.number):
            raise TypeError(f'{self.source}: expected a numeric image batch, got {batch.dtype}')
        height, width = self.input_size
        if batch.ndim != 4 or batch.shape[1] != 3 or tuple(batch.shape[2:]) != (height, width):
            raise ValueError(
                f'{self.source} expects float32 BGR 0-255 images of shape (N, 3, {height}, '
                f'{width}), got {tuple(batch.shape)}'
            )
        return np.ascontiguousarray(batch, dtype=np.float32)


class ExportedModel(InferenceModel):
    """An exported model (``.xml`` or ``.onnx``) and its metadata, callable on raw batches.

    Other numeric dtypes than float32 are cast. Made by :func:`load_exported_model`.

    Attributes:
        path (str): The model file (also ``source``).
        meta (dict): The sidecar (see :mod:`facerec.deployment.metadata`).
    """

    backend = ''

    def __init__(self, path: str, meta: dict):
        self.path = self.source = path
        self.meta = meta

    def _check_graph(self, input_shape: Sequence, output_shape: Sequence) -> None:
        """Check the graph's input and output shapes against the metadata."""
        dims = _static_dims(input_shape)
        if len(dims) != 4 or dims[1] not in (None, 3):
            raise ValueError(
                f'{self.path}: expected one (N, 3, H, W) input, the graph has shape '
                f'{list(input_shape)}'
            )
        if dims[2:] != list(self.input_size) and None not in dims[2:]:
            raise ValueError(
                f'{self.path}: the graph takes {dims[2]}x{dims[3]} images but its metadata '
                f'{osp.basename(self.meta_path)} says input_size {list(self.input_size)}'
            )
        out = _static_dims(output_shape)
        pooled = len(out) == 4 and out[2:] == [1, 1]  # (N, C, 1, 1) of convolutional heads
        points = len(out) == 3 and out[2] == 2
        if not (len(out) == 2 or pooled if self.task == 'recognition' else points or pooled):
            raise ValueError(
                f'{self.path}: the metadata says task {self.task!r} but the graph output has '
                f'shape {list(output_shape)}'
            )
        if self.meta.get('output_dim') is None and None not in out[1:]:
            size = int(np.prod(out[1:]))
            self.meta['output_dim'] = size if self.task == 'recognition' else [size // 2, 2]

    def _task_output(self, output: np.ndarray) -> np.ndarray:
        """``(N, D)`` embeddings or ``(N, K, 2)`` points from the graph's output, which
        may keep 1x1 spatial axes (``(N, D, 1, 1)``, ``(N, 2K, 1, 1)``)."""
        if self.task == 'recognition':
            return output.reshape(len(output), -1)
        return output.reshape(len(output), -1, 2)

    @property
    def meta_path(self) -> str:
        """The sidecar file."""
        return sidecar_path(self.path)

    def _empty_output(self) -> np.ndarray:
        dim = self.meta['output_dim']
        shape = (0, *dim) if isinstance(dim, list) else (0, int(dim))
        return np.zeros(shape, np.float32)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = self.check_batch(batch)
        if batch.shape[0] == 0:
            return self._empty_output()
        return self._task_output(self._run(batch))

    def _run(self, batch: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}({self.path!r}, task={self.task!r}, '
            f'input_size={list(self.input_size)}, precision={self.meta["precision"]!r})'
        )


class OpenVINOModel(ExportedModel):
    """An OpenVINO IR model compiled for a device.

    Args:
        path: The ``.xml`` file (its ``.bin`` beside it).
        meta: The sidecar.
        device: OpenVINO device name, ``'CPU'`` by default.
        inference_precision: ``INFERENCE_PRECISION_HINT`` (``'f32'`` by default, since
            OpenVINO otherwise runs bf16 on CPUs that have it); None keeps the device's
            default. Quantised (int8) layers run in int8 either way.
    """

    backend = 'openvino'

    def __init__(
        self, path: str, meta: dict, device: str = 'CPU', inference_precision: Optional[str] = 'f32'
    ):
        super().__init__(path, meta)
        core, model = read_openvino_model(path)
        if meta.get('precision') is None:
            meta['precision'] = ir_precision(model)

        def dims(port) -> List[int]:
            return [d.get_length() if d.is_static else -1 for d in port.get_partial_shape()]

        input_dims = dims(model.inputs[0])
        if len(input_dims) == 4 and input_dims[0] > 0:
            # Graphs released with a fixed batch (often 1) are made batch-dynamic.
            model.reshape([-1, *input_dims[1:]])
        self._check_graph(dims(model.inputs[0]), dims(model.outputs[0]))
        config = {}
        if inference_precision is not None:
            config['INFERENCE_PRECISION_HINT'] = inference_precision
        self.device = device
        self.compiled = core.compile_model(model, device, config)
        self._request = self.compiled.create_infer_request()

    def _run(self, batch: np.ndarray) -> np.ndarray:
        self._request.infer({0: batch})
        return np.array(self._request.get_output_tensor(0).data, dtype=np.float32, copy=True)


class ONNXRuntimeModel(ExportedModel):
    """An ONNX model run by onnxruntime.

    Args:
        path: The ``.onnx`` file.
        meta: The sidecar.
        device: ``'CPU'`` (CPUExecutionProvider) or ``'CUDA'`` (CUDAExecutionProvider).
        num_threads: Intra-op threads; None lets onnxruntime choose.
    """

    backend = 'onnxruntime'

    def __init__(
        self, path: str, meta: dict, device: str = 'CPU', num_threads: Optional[int] = None
    ):
        super().__init__(path, meta)
        import onnxruntime as ort

        providers = {'CPU': ['CPUExecutionProvider']}
        providers['CUDA'] = ['CUDAExecutionProvider', 'CPUExecutionProvider']
        if device.upper() not in providers:
            raise ValueError(f'onnxruntime device must be CPU or CUDA, got {device!r}')
        wanted = providers[device.upper()]
        if wanted[0] not in ort.get_available_providers():
            raise RuntimeError(f'onnxruntime here has no {wanted[0]}')
        options = ort.SessionOptions()
        if num_threads is not None:
            options.intra_op_num_threads = int(num_threads)
        self.session = ort.InferenceSession(path, options, providers=wanted)
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        _check_one_input_output(path, inputs, outputs)
        self._check_graph(
            [d if isinstance(d, int) else -1 for d in inputs[0].shape], outputs[0].shape
        )
        self.device = device
        self._input_name = inputs[0].name

    def _run(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self.session.run(None, {self._input_name: batch})[0], np.float32)


def ir_precision(model) -> str:
    """``'int8'`` for an OpenVINO graph with FakeQuantize or int8 weights, ``'fp16'`` for
    one with fp16 weights, else ``'fp32'``."""
    kinds = {op.get_type_name() for op in model.get_ops()}
    types = {
        op.get_output_element_type(0).get_type_name()
        for op in model.get_ops()
        if op.get_type_name() == 'Constant'
    }
    if 'FakeQuantize' in kinds or types & {'i8', 'u8'}:
        return 'int8'
    return 'fp16' if 'f16' in types else 'fp32'


def load_exported_model(
    path: str,
    device: str = 'CPU',
    inference_precision: Optional[str] = 'f32',
    meta: Optional[dict] = None,
) -> Union[OpenVINOModel, ONNXRuntimeModel]:
    """Load an exported model and its sidecar.

    Args:
        path: An OpenVINO ``.xml`` or an ONNX ``.onnx`` file written by
            ``tools/deployment/export.py``, with its ``.json`` sidecar, or a model
            exported elsewhere that takes BGR 0..255 images, described by ``meta``.
        device: ``'CPU'`` (default) or another OpenVINO device / ``'CUDA'`` for onnxruntime.
        inference_precision: OpenVINO's ``INFERENCE_PRECISION_HINT``; ``'f32'`` by default,
            None for the device's default (bf16 on CPUs with AMX/AVX512-BF16). Ignored by
            onnxruntime.
        meta: The description to use instead of the sidecar (at least ``task`` and
            ``input_size``; ``output_dim`` and ``precision`` None are read off the graph).

    Returns:
        A callable model with ``.meta``: ``model(batch)`` maps float32 ``(N, 3, H, W)``
        BGR 0..255 images to ``(N, D)`` embeddings or ``(N, K, 2)`` landmarks.

    Raises:
        FileNotFoundError: The model, its weights or its sidecar is missing.
        ValueError: Unknown suffix, or a sidecar that does not match the graph.
    """
    path = str(path)
    backend = backend_of(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'Exported model not found: {path}')
    if backend == 'openvino':
        weights = osp.splitext(path)[0] + '.bin'
        if not osp.isfile(weights):
            raise FileNotFoundError(f'The weights {weights} of the OpenVINO model are missing')
    meta = read_metadata(path) if meta is None else dict(meta)
    if backend == 'openvino':
        return OpenVINOModel(path, meta, device=device, inference_precision=inference_precision)
    return ONNXRuntimeModel(path, meta, device=device)
