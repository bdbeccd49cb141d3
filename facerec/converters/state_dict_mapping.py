"""PyTorch state dicts of foamliu/MobileFaceNet mapped onto facerec's :class:`MobileFaceNet`.

The source layout (foamliu/MobileFaceNet ``mobilefacenet.py``, MS1M release):

- ``conv1``: 3x3 stride-2 convolution 3 -> 64 + BN + ReLU6;
- ``dw_conv``: 3x3 depthwise convolution + BN (``bn1``) + ReLU, 1x1 convolution 64 -> 64 +
  BN (``bn2``) + ReLU;
- ``features.<i>.conv``: inverted residual blocks (1x1 expansion + BN + ReLU6, 3x3 depthwise +
  BN + ReLU6, linear 1x1 projection + BN; a residual connection when the stride is 1 and the
  channels are kept), the stages of :data:`FOAMLIU_ARCH_SETTING`;
- ``conv2``: 1x1 convolution 128 -> 512 + BN + ReLU6;
- ``gdconv``: depthwise convolution over the whole feature map (7x7 at 112x112) + BN;
- ``conv3``: 1x1 convolution 512 -> 128 with a bias, then ``bn`` (BN of 128): the embedding.

facerec's ``MobileFaceNet(act='ReLU6', use_se=False, stem_pointwise=True, stem_act='ReLU')``
has the same layers; ``conv3``'s bias, followed by a batch norm, is folded exactly into that
batch norm's running mean (``BN(Wx + b)`` with mean ``m`` is ``BN(Wx)`` with mean ``m - b``).
The source model takes RGB images scaled to [0, 1] and normalised with the ImageNet mean and
std (:data:`SOURCE_MEAN`, :data:`SOURCE_STD`).

:func:`foamliu_reference_forward` is a second, functional implementation of the source
network that runs directly on the source tensors, used to check a conversion.
"""

import os.path as osp
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from facerec.models.backbones.mobilefacenet import DEFAULT_ARCH_SETTING

__all__ = [
    'FOAMLIU_ARCH_SETTING',
    'SOURCE_MEAN',
    'SOURCE_STD',
    'LayerMapping',
    'ParityError',
    'StateDictMismatchError',
    'convert_foamliu_checkpoint',
    'convert_foamliu_state_dict',
    'foamliu_layer_mappings',
    'foamliu_preprocess',
    'foamliu_reference_forward',
    'load_source_state_dict',
    'parity_with_source',
]

#: Stages of foamliu/MobileFaceNet as ``[expansion, channels, repeats, stride]``: the
#: MobileFaceNet paper's, which facerec's ``MobileFaceNet`` defaults to.
FOAMLIU_ARCH_SETTING: List[List[int]] = [list(stage) for stage in DEFAULT_ARCH_SETTING]
#: The source model's input normalisation, applied to RGB values in [0, 1].
SOURCE_MEAN = (0.485, 0.456, 0.406)
SOURCE_STD = (0.229, 0.224, 0.225)

_BN_FIELDS = ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked')
_BN_EPS = 1e-5
_LIST_LIMIT = 20


class StateDictMismatchError(ValueError):
    """A source state dict does not fit the model it is converted into."""


@dataclass(frozen=True)
class LayerMapping:
    """One convolution + batch norm of the source and the facerec ``ConvBNAct`` it becomes.

    Attributes:
        target: Prefix of the facerec ``ConvBNAct`` in the backbone (``stem.1``);
            its convolution is ``<target>.0`` and its batch norm ``<target>.1``.
        conv: Prefix of the source convolution (``dw_conv.depthwise``).
        bn: Prefix of the source batch norm (``dw_conv.bn1``).
        conv_bias: Whether the source convolution has a bias, folded into the batch norm.
    """

    target: str
    conv: str
    bn: str
    conv_bias: bool = False

    def pairs(self) -> List[Tuple[str, str]]:
        """``(source key, backbone key)`` of every tensor copied as is."""
        pairs = [(f'{self.conv}.weight', f'{self.target}.0.weight')]
        pairs += [(f'{self.bn}.{f}', f'{self.target}.1.{f}') for f in _BN_FIELDS]
        return pairs

    def source_keys(self) -> List[str]:
        """Every source key this layer reads."""
        keys = [src for src, _ in self.pairs()]
        if self.conv_bias:
            keys.append(f'{self.conv}.bias')
        return keys


def foamliu_layer_mappings(backbone: nn.Module) -> List[LayerMapping]:
    """The layers of a facerec :class:`MobileFaceNet` and the source layers they take.

    The inverted residual blocks are matched in order: the ``i``-th block over all stages is
    the source's ``features.<i>``. Kernel sizes and channels are not fixed here; they are
    compared with the source tensors by :func:`convert_foamliu_state_dict`.

    Args:
        backbone: A ``MobileFaceNet`` (built with ``stem_pointwise=True`` for a foamliu
            source; without it the source's ``dw_conv.pointwise`` has no place).

    Returns:
        The layer mappings, from the input to the embedding.
    """
    for name in ('stem', 'stages', 'conv_last', 'gdc', 'embedding'):
        if not hasattr(backbone, name):
            raise TypeError(
                f'Cannot map a foamliu/MobileFaceNet state dict onto {type(backbone).__name__}: '
                f'it has no `{name}` (a facerec MobileFaceNet backbone is needed)'
            )
    layers = [LayerMapping('stem.0', 'conv1.0', 'conv1.1')]
    layers.append(LayerMapping('stem.1', 'dw_conv.depthwise', 'dw_conv.bn1'))
    if len(backbone.stem) > 2:
        layers.append(LayerMapping('stem.2', 'dw_conv.pointwise', 'dw_conv.bn2'))
    index = 0
    for s, stage in enumerate(backbone.stages):
        for b, _ in enumerate(stage):
            src, dst = f'features.{index}.conv', f'stages.{s}.{b}'
            layers.append(LayerMapping(f'{dst}.expand', f'{src}.0.0', f'{src}.0.1'))
            layers.append(LayerMapping(f'{dst}.depthwise', f'{src}.1.0', f'{src}.1.1'))
            layers.append(LayerMapping(f'{dst}.project', f'{src}.2', f'{src}.3'))
            index += 1
    layers.append(LayerMapping('conv_last', 'conv2.0', 'conv2.1'))
    layers.append(LayerMapping('gdc', 'gdconv.depthwise', 'gdconv.bn'))
    layers.append(LayerMapping('embedding', 'conv3', 'bn', conv_bias=True))
    return layers


def _shape(t: torch.Tensor) -> Tuple[int, ...]:
    return tuple(t.shape)


def _listing(keys: Sequence[str]) -> str:
    shown = ', '.join(repr(k) for k in keys[:_LIST_LIMIT])
    more = f' and {len(keys) - _LIST_LIMIT} more' if len(keys) > _LIST_LIMIT else ''
    return f'{len(keys)}: {shown}{more}'


def _check_fit(
    source: Mapping[str, torch.Tensor],
    target: Mapping[str, torch.Tensor],
    layers: Sequence[LayerMapping],
    source_name: str,
    model_name: str,
) -> None:
    """Raise :class:`StateDictMismatchError` unless ``source`` fills ``target`` exactly."""
    problems = []
    for layer in layers:
        checks = list(layer.pairs())
        if layer.conv_bias:
            checks.append((f'{layer.conv}.bias', f'{layer.target}.1.running_mean'))
        bad = next(
            (
                (src, dst)
                for src, dst in checks
                if src in source and dst in target and _shape(source[src]) != _shape(target[dst])
            ),
            None,
        )
        if bad is not None:
            src, dst = bad
            problems.append(
                f'first layer that differs: {layer.target} ({layer.conv} + {layer.bn}): '
                f"source {src!r} has shape {_shape(source[src])}, the model's "
                f'{"backbone." + dst!r} has shape {_shape(target[dst])}'
            )
            break
    wanted = [k for layer in layers for k in layer.source_keys()]
    wanted_set = set(wanted)
    missing = [k for k in wanted if k not in source]
    unexpected = [k for k in source if k not in wanted_set]
    filled = {dst for layer in layers for _, dst in layer.pairs()}
    unfilled = [f'backbone.{k}' for k in target if k not in filled]
    missing_targets = sorted(
        f'backbone.{dst}' for layer in layers for _, dst in layer.pairs() if dst not in target
    )
    if missing:
        problems.append(f'missing from the source ({_listing(missing)})')
    if unexpected:
        problems.append(f'unexpected in the source ({_listing(unexpected)})')
    if unfilled:
        problems.append(f'model weights with no source ({_listing(unfilled)})')
    if missing_targets:
        problems.append(f'mapped weights the model lacks ({_listing(missing_targets)})')
    if problems:
        raise StateDictMismatchError(
            f'State dict {source_name} does not fit the {model_name}: ' + '; '.join(problems)
        )


def _training_only_prefixes(model: nn.Module) -> Tuple[str, ...]:
    return tuple(f'{m}.' for m in getattr(model, 'training_only_modules', ()))


def convert_foamliu_state_dict(
    source: Mapping[str, torch.Tensor],
    model: nn.Module,
    source_name: str = 'source',
) -> 'OrderedDict[str, torch.Tensor]':
    """Load a foamliu/MobileFaceNet state dict into a facerec recogniser.

    Every source tensor is placed in the backbone (``conv3``'s bias folded into the
    running mean of the last batch norm), the backbone is loaded with ``strict=True``
    and the recogniser's weights are returned without its training-only modules (a
    margin head, auxiliary losses), which the source does not have.

    Args:
        source: The source state dict (see :func:`load_source_state_dict`).
        model: A :class:`~facerec.models.FaceRecognizer` with a ``MobileFaceNet``
            backbone whose shapes fit the source; modified in place.
        source_name: How the source is named in error messages (its file).

    Returns:
        The recogniser's state dict for inference: keys ``backbone.*``.

    Raises:
        StateDictMismatchError: Shapes differ (the first differing layer is named with
            both shapes) or keys are missing or unexpected (they are listed).
    """
    backbone = getattr(model, 'backbone', None)
    if backbone is None:
        raise TypeError(f'{type(model).__name__} has no backbone to load a MobileFaceNet into')
    target = backbone.state_dict()
    layers = foamliu_layer_mappings(backbone)
    model_name = f'{type(model).__name__} with {type(backbone).__name__}'
    _check_fit(source, target, layers, source_name, model_name)

    mapped = OrderedDict()
    for layer in layers:
        for src, dst in layer.pairs():
            mapped[dst] = source[src].detach().clone().to(target[dst].dtype)
        if layer.conv_bias:
            key = f'{layer.target}.1.running_mean'
            bias = source[f'{layer.conv}.bias'].detach().to(torch.float64)
            folded = mapped[key].to(torch.float64) - bias
            mapped[key] = folded.to(target[key].dtype)
    mapped._metadata = getattr(target, '_metadata', OrderedDict())
    backbone.load_state_dict(mapped, strict=True)

    optional = _training_only_prefixes(model)
    full = model.state_dict()
    state = OrderedDict((k, v) for k, v in full.items() if not k.startswith(optional))
    others = [k for k in state if not k.startswith('backbone.')]
    if others:
        raise StateDictMismatchError(
            f'The {model_name} has weights outside its backbone that a foamliu/MobileFaceNet '
            f'state dict cannot give ({_listing(others)})'
        )
    metadata = getattr(full, '_metadata', OrderedDict())
    state._metadata = OrderedDict(
        (k, v) for k, v in metadata.items() if not (k + '.').startswith(optional)
    )
    return state


def load_source_state_dict(path: str) -> 'OrderedDict[str, torch.Tensor]':
    """Read a PyTorch state dict file (weights-only).

    A dict holding a ``state_dict`` is unwrapped, and a ``module.`` prefix on every
    key (a ``DataParallel`` model's) is dropped.

    Raises:
        FileNotFoundError: No such file.
        ValueError: The file is not a state dict (the message names the file).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'State dict file not found: {path}')
    try:
        obj = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as e:  # the unpickler fails on junk with any kind of error
        first = str(e).strip().splitlines()[0] if str(e).strip() else ''
        raise ValueError(
            f'{path} is not a PyTorch state dict that loads weights-only '
            f'({type(e).__name__}: {first})'
        ) from None
    if isinstance(obj, Mapping) and isinstance(obj.get('state_dict'), Mapping):
        obj = obj['state_dict']
    if not isinstance(obj, Mapping) or not obj:
        raise ValueError(
            f'{path} is not a PyTorch state dict: it holds a {type(obj).__name__}'
            + (' with no entries' if isinstance(obj, Mapping) else '')
        )
    not_tensors = [str(k) for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise ValueError(
            f'{path} is not a PyTorch state dict: {len(not_tensors)} of its entries are not '
            f'tensors ({_listing(not_tensors)})'
        )
    state = OrderedDict((str(k), v) for k, v in obj.items())
    if all(k.startswith('module.') for k in state):
        state = OrderedDict((k[len('module.') :], v) for k, v in state.items())
    return state


def _bn(x: torch.Tensor, sd: Mapping[str, torch.Tensor], prefix: str) -> torch.Tensor:
    return F.batch_norm(
        x,
        sd[f'{prefix}.running_mean'],
        sd[f'{prefix}.running_var'],
        sd[f'{prefix}.weight'],
        sd[f'{prefix}.bias'],
        training=False,
        eps=_BN_EPS,
    )


def _conv(
    x: torch.Tensor,
    weight: torch.Tensor,
    stride: int = 1,
    depthwise: bool = False,
    bias: Optional[torch.Tensor] = None,
    padding: Optional[int] = None,
) -> torch.Tensor:
    if padding is None:
        padding = (weight.shape[-1] - 1) // 2
    groups = x.shape[1] if depthwise else 1
    return F.conv2d(x, weight, bias, stride=stride, padding=padding, groups=groups)


def foamliu_reference_forward(
    source: Mapping[str, torch.Tensor],
    x: torch.Tensor,
    arch_setting: Optional[Sequence[Sequence[int]]] = None,
) -> torch.Tensor:
    """Run the foamliu/MobileFaceNet network on its own state dict, functionally.

    Args:
        source: The source state dict (float tensors in the source's layout).
        x: Normalised RGB input ``(N, 3, H, W)`` (see :func:`foamliu_preprocess`).
        arch_setting: ``[expansion, channels, repeats, stride]`` of the stages, for the
            block strides; defaults to :data:`FOAMLIU_ARCH_SETTING`.

    Returns:
        The embeddings after the last batch norm, ``(N, D)``.
    """
    arch_setting = FOAMLIU_ARCH_SETTING if arch_setting is None else arch_setting
    sd = {k: v.float() if v.is_floating_point() else v for k, v in source.items()}
    x = F.relu6(_bn(_conv(x, sd['conv1.0.weight'], stride=2), sd, 'conv1.1'))
    x = F.relu(_bn(_conv(x, sd['dw_conv.depthwise.weight'], depthwise=True), sd, 'dw_conv.bn1'))
    x = F.relu(_bn(_conv(x, sd['dw_conv.pointwise.weight']), sd, 'dw_conv.bn2'))
    strides = [s if i == 0 else 1 for _, _, n, s in arch_setting for i in range(n)]
    num_blocks = len({k.split('.')[1] for k in sd if k.startswith('features.')})
    if num_blocks != len(strides):
        raise ValueError(
            f'The source has {num_blocks} inverted residual blocks, arch_setting {len(strides)}'
        )
    for i, stride in enumerate(strides):
        p = f'features.{i}.conv'
        out = F.relu6(_bn(_conv(x, sd[f'{p}.0.0.weight']), sd, f'{p}.0.1'))
        out = F.relu6(
            _bn(_conv(out, sd[f'{p}.1.0.weight'], stride=stride, depthwise=True), sd, f'{p}.1.1')
        )
        out = _bn(_conv(out, sd[f'{p}.2.weight']), sd, f'{p}.3')
        x = x + out if stride == 1 and out.shape[1] == x.shape[1] else out
    x = F.relu6(_bn(_conv(x, sd['conv2.0.weight']), sd, 'conv2.1'))
    x = _bn(_conv(x, sd['gdconv.depthwise.weight'], depthwise=True, padding=0), sd, 'gdconv.bn')
    x = _bn(_conv(x, sd['conv3.weight'], bias=sd['conv3.bias']), sd, 'bn')
    return x.flatten(1)


def foamliu_preprocess(images: torch.Tensor) -> torch.Tensor:
    """Raw BGR 0..255 ``(N, 3, H, W)`` images to the source model's input: RGB, ``/ 255``,
    then the ImageNet mean and std."""
    mean = torch.tensor(SOURCE_MEAN, dtype=torch.float32).reshape(1, 3, 1, 1)
    std = torch.tensor(SOURCE_STD, dtype=torch.float32).reshape(1, 3, 1, 1)
    return (images.float()[:, [2, 1, 0]] / 255.0 - mean) / std


def parity_with_source(
    model: nn.Module,
    source: Mapping[str, torch.Tensor],
    images: np.ndarray,
    batch_size: int = 32,
    arch_setting: Optional[Sequence[Sequence[int]]] = None,
) -> Dict[str, float]:
    """Compare a converted recogniser with the source network on the same raw images.

    The converted model runs with its own preprocessing (its data preprocessor, through
    :class:`~facerec.deployment.ExportWrapper`), the source through
    :func:`foamliu_preprocess` and :func:`foamliu_reference_forward`.

    Args:
        model: The converted recogniser.
        source: The source state dict.
        images: float32 ``(N, 3, H, W)`` raw BGR 0..255 images (e.g. from
            :func:`~facerec.deployment.load_dataset_images`).
        batch_size: Images per forward pass.
        arch_setting: See :func:`foamliu_reference_forward`.

    Returns:
        The numbers of :func:`~facerec.deployment.compare_outputs`, the source as reference.
    """
    from facerec.deployment import ExportWrapper, compare_outputs

    wrapper = ExportWrapper(model).eval()
    images = np.ascontiguousarray(images, dtype=np.float32)
    refs, outs = [], []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            batch = torch.from_numpy(images[start : start + batch_size])
            refs.append(foamliu_reference_forward(source, foamliu_preprocess(batch), arch_setting))
            outs.append(wrapper(batch))
    return compare_outputs(torch.cat(refs).numpy(), torch.cat(outs).numpy())


class ParityError(RuntimeError):
    """The converted model does not reproduce the source network."""


def _check_parity(
    cfg: Any,
    model: nn.Module,
    source: Mapping[str, torch.Tensor],
    num_images: int,
    min_cosine: float,
    out_path: str,
    log,
) -> Dict[str, float]:
    """:func:`parity_with_source` on test images; raise :class:`ParityError` below
    ``min_cosine``. Returns the numbers and the required minimum."""
    from facerec.deployment import format_parity, load_dataset_images

    try:
        images = load_dataset_images(cfg, num_images)
    except (FileNotFoundError, KeyError, ValueError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        raise type(e)(
            f'{message} (the parity check takes images from the test dataloader of the '
            'config: check its data root, e.g. $FACEREC_DATA, or skip it with --no-parity)'
        ) from None
    stats = parity_with_source(model, source, images)
    log(format_parity(stats, name='converted', reference='source (functional)'))
    if not stats['cosine_min'] >= min_cosine:
        raise ParityError(
            f'Parity check failed: cosine min {stats["cosine_min"]:.6f} < {min_cosine} '
            f'between the converted model and the source on {stats["num_samples"]} images; '
            f'{out_path} was not written'
        )
    return dict(stats, min_cosine_required=float(min_cosine))


def convert_foamliu_checkpoint(
    cfg: Any,
    source_path: str,
    out_path: str,
    num_images: int = 300,
    parity: bool = True,
    min_cosine: float = 0.9999,
    config_path: Optional[str] = None,
    log=print,
) -> Dict[str, Any]:
    """Convert a foamliu/MobileFaceNet state dict file into a facerec checkpoint.

    Builds ``cfg.model``, maps the source onto it (:func:`convert_foamliu_state_dict`),
    compares it with the source network on ``num_images`` images of the config's test
    dataloader (:func:`parity_with_source`) and writes ``{'state_dict', 'meta'}`` to
    ``out_path`` atomically with the backbone's weights only (see
    :func:`~facerec.converters.save_converted_checkpoint`). Nothing is written when the
    check fails.

    Args:
        cfg: The loaded config of the converted model.
        source_path: The source state dict file.
        out_path: The facerec checkpoint to write.
        num_images: Images of the parity check.
        parity: Run the parity check.
        min_cosine: The lowest cosine similarity allowed between an image's converted and
            source embeddings.
        config_path: The config file, recorded in the checkpoint's meta.
        log: Where progress messages go.

    Returns:
        The checkpoint's ``meta`` (with the parity numbers under ``'parity'``).

    Raises:
        StateDictMismatchError: The source does not fit the model.
        ParityError: An image's cosine similarity is below ``min_cosine``.
    """
    from facerec.deployment.metadata import file_sha256
    from facerec.registry import MODELS
    from facerec.utils import register_all_modules
    from facerec.version import __version__

    from .checkpoint import save_converted_checkpoint

    register_all_modules()
    source = load_source_state_dict(source_path)
    model = MODELS.build(cfg.model).eval()
    state = convert_foamliu_state_dict(source, model, source_name=source_path)
    backbone = model.backbone
    log(
        f'Mapped {len(source)} source tensors onto {len(state)} weights of '
        f'{type(model).__name__}/{type(backbone).__name__} (conv3 bias folded into the last BN)'
    )
    meta: Dict[str, Any] = dict(
        source=osp.abspath(source_path),
        source_sha256=file_sha256(source_path),
        source_format='foamliu/MobileFaceNet state dict',
        config=config_path,
        facerec_version=__version__,
        input_size=list(backbone.input_size),
        embedding_size=int(backbone.embedding_size),
    )
    if parity:
        meta['parity'] = _check_parity(cfg, model, source, num_images, min_cosine, out_path, log)
    converted = [
        n for n, _ in model.named_modules() if n == 'backbone' or n.startswith('backbone.')
    ]
    skipped = save_converted_checkpoint(model, out_path, converted, meta)
    log(
        f'Wrote {out_path}'
        + (f' (not converted, left out: {_listing(skipped)})' if skipped else '')
    )
    return meta
