"""The JSON sidecar of an exported model: what it computes and how to feed it.

:func:`describe_model` gives the keys every inference model carries, exported or not.
"""

import hashlib
import json
import os.path as osp
from typing import Any, List, Optional, Sequence

import torch

from .export_wrapper import find_input_size, task_of_output

#: Keys every sidecar holds.
REQUIRED_KEYS = (
    'task',
    'input_size',
    'output_dim',
    'precision',
    'input',
    'alignment',
    'config',
    'checkpoint_sha256',
)
TASKS = ('recognition', 'landmarks')
PRECISIONS = ('fp32', 'fp16', 'int8')
#: The ``input`` entry: what the graph expects.
INPUT_FORMAT = 'BGR 0-255 NCHW'


def sidecar_path(model_path: str) -> str:
    """The sidecar of an exported model: same folder and stem, ``.json`` suffix.

    ``model.xml`` -> ``model.json``, ``model.onnx`` -> ``model.json``.
    """
    return osp.splitext(model_path)[0] + '.json'


def file_sha256(path: str, chunk_size: int = 1 << 20) -> str:
    """The SHA-256 hex digest of a file."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(chunk_size), b''):
            digest.update(chunk)
    return digest.hexdigest()


def to_jsonable(value: Any) -> Any:
    """Turn config values (tuples, ConfigDicts, numpy scalars) into JSON types."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, 'tolist'):
        return value.tolist()
    return str(value)


def _dataset_pipeline(dataset_cfg: Any) -> Optional[List[dict]]:
    """The pipeline of a dataset config, looking inside dataset wrappers."""
    if not isinstance(dataset_cfg, dict):
        return None
    if 'pipeline' in dataset_cfg:
        return list(dataset_cfg['pipeline'])
    if 'dataset' in dataset_cfg:
        return _dataset_pipeline(dataset_cfg['dataset'])
    datasets = dataset_cfg.get('datasets')
    if isinstance(datasets, (list, tuple)) and datasets:
        return _dataset_pipeline(datasets[0])
    return None


def config_test_pipeline(cfg: Any) -> Optional[List[dict]]:
    """The test dataloader's pipeline of a config (the val one if there is no test one)."""
    for key in ('test_dataloader', 'val_dataloader'):
        loader = cfg.get(key) if hasattr(cfg, 'get') else None
        if isinstance(loader, dict):
            pipeline = _dataset_pipeline(loader.get('dataset'))
            if pipeline is not None:
                return pipeline
    return None


def alignment_of(pipeline: Optional[Sequence[dict]]) -> Optional[dict]:
    """The parameters of the ``AlignFace`` step of a pipeline, with its defaults filled in.

    Returns:
        ``dict(output_size=[H, W], template_scale, fallback, crop_ratio, border_mode,
        template=[[x, y] x 5])`` (``template``: the 5 points the landmarks are mapped to,
        in crop pixels), or None when the pipeline does not align faces.
    """
    from facerec.datasets.transforms import get_template
    from facerec.registry import TRANSFORMS

    for step in pipeline or []:
        if isinstance(step, dict) and step.get('type') == 'AlignFace':
            align = TRANSFORMS.build(dict(step))
            return dict(
                type='AlignFace',
                output_size=list(align.output_size),
                template_scale=float(align.template_scale),
                fallback=align.fallback,
                crop_ratio=float(align.crop_ratio),
                border_mode=align.border_mode,
                template=get_template(
                    align.output_size, align.template_scale, align.template
                ).tolist(),
            )
    return None


def describe_model(
    cfg: Any,
    task: str,
    input_size: Sequence[int],
    output_dim: Any = None,
    precision: Optional[str] = None,
    weights: Optional[str] = None,
    config: Optional[str] = None,
) -> dict:
    """The description every inference model carries: the required keys of a sidecar.

    Args:
        cfg: The config of the model (its test pipeline gives the alignment).
        task: ``'recognition'`` or ``'landmarks'``.
        input_size: ``(H, W)`` of the input images.
        output_dim: ``D`` of a recogniser, ``[K, 2]`` of a landmark model; None: not known.
        precision: ``'fp32'``, ``'fp16'`` or ``'int8'``; None: not known.
        weights: The file the weights come from (hashed into ``checkpoint_sha256``).
        config: The config file; default ``cfg.filename``.
    """
    pipeline = config_test_pipeline(cfg)
    return dict(
        task=task,
        input_size=[int(v) for v in input_size],
        output_dim=output_dim,
        precision=precision,
        input=INPUT_FORMAT,
        alignment=alignment_of(pipeline) if task == 'recognition' else None,
        config=config or getattr(cfg, 'filename', None),
        checkpoint=weights,
        checkpoint_sha256=file_sha256(weights) if weights else '',
    )


def describe_torch_model(
    cfg: Any,
    wrapper: Any,
    checkpoint: Optional[str],
    precision: str = 'fp32',
    config: Optional[str] = None,
    input_size: Optional[Sequence[int]] = None,
) -> dict:
    """Describe a PyTorch model as its export would be (:func:`describe_model`; ``wrapper`` is an
    :class:`~facerec.deployment.ExportWrapper`)."""
    size = input_size or find_input_size(wrapper.model)
    with torch.no_grad():
        out = wrapper(torch.zeros(1, 3, *size, device=wrapper.mean.device))
    task = task_of_output(out)
    dim = int(out.shape[1]) if task == 'recognition' else list(out.shape[1:])
    return describe_model(cfg, task, size, dim, precision, checkpoint, config)


def keep_sibling_parity(output: str, meta: dict) -> None:
    """Keep the parity numbers of the other format's model that shares the sidecar.

    ``model.onnx`` and ``model.xml`` share ``model.json``; when both come from the same
    checkpoint at the same precision, the sidecar keeps the parity of both.
    """
    path = sidecar_path(output)
    if not osp.isfile(path):
        return
    try:
        with open(path, encoding='utf-8') as f:
            old = json.load(f)
    except (OSError, ValueError):
        return
    same = all(old.get(k) == meta.get(k) for k in ('checkpoint_sha256', 'precision', 'task'))
    if same and isinstance(old.get('parity'), dict):
        meta['parity'] = dict(old['parity'])


def write_metadata(model_path: str, meta: dict) -> str:
    """Write ``meta`` as the sidecar of ``model_path``; returns the sidecar's path."""
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    if missing:
        raise KeyError(f'Export metadata lacks {missing}')
    path = sidecar_path(model_path)
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(to_jsonable(meta), f, indent=2)
        f.write('\n')
    return path


def read_metadata(model_path: str) -> dict:
    """Read and check the sidecar of an exported model.

    Raises:
        FileNotFoundError: There is no sidecar next to the model.
        ValueError: The sidecar is not valid JSON or misses or mangles a required key.
    """
    path = sidecar_path(model_path)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'No metadata file {path} next to the exported model {model_path}; models '
            'exported by tools/deployment/export.py have one (same name, .json)'
        )
    try:
        with open(path, encoding='utf-8') as f:
            meta = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f'{path}: not valid JSON ({e})') from None
    if not isinstance(meta, dict):
        raise ValueError(f'{path}: expected a JSON object, got {type(meta).__name__}')
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    if missing:
        raise ValueError(f'{path}: missing keys {missing}')
    if meta['task'] not in TASKS:
        raise ValueError(f'{path}: task must be one of {TASKS}, got {meta["task"]!r}')
    if meta['precision'] not in PRECISIONS:
        raise ValueError(
            f'{path}: precision must be one of {PRECISIONS}, got {meta["precision"]!r}'
        )
    size = meta['input_size']
    if (
        not isinstance(size, list)
        or len(size) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)
    ):
        raise ValueError(f'{path}: input_size must be [H, W] of positive ints, got {size!r}')
    return meta
