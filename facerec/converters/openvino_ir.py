"""Map the weights of an OpenVINO IR onto a facerec model of the same architecture.

An IR is read as the sequence of its layers with weights, in graph order: convolutions (with
the bias ``Add`` that follows them), per-channel affines (a ``Multiply`` and/or ``Add`` by a
constant: an unfolded batch norm or the input scaling) and PReLU slopes. The model is read as
the sequence of its ``Conv2d``, ``Linear``, ``BatchNorm`` and ``PReLU`` modules in the order a
forward pass calls them. The two are then paired one by one:

- a convolution (or a linear layer, an IR 1x1 convolution or ``MatMul``) takes the IR kernel;
  when a batch norm of the model follows it, the IR bias, and the affine the IR applies right
  after the convolution if it has one, become that batch norm (folded batch norms load this
  way, as scale 1 and the folded bias);
- a batch norm on its own takes an IR affine;
- a PReLU takes the IR slopes (a single shared slope fills every channel).

Constant sub-graphs (fp16 weights behind a ``Convert``, int8 weights behind a dequantising
``Subtract`` / ``Multiply``) are evaluated, so FP16 and FP16-INT8 IRs load as float weights;
activation ``FakeQuantize`` nodes are skipped. The first pair that does not fit stops the
conversion with both layers and shapes named.
"""

import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn

#: Model modules that carry weights, in the order a forward pass calls them.
_WEIGHTED = (nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d, nn.PReLU)


class ConversionError(ValueError):
    """The IR does not fit the architecture of the config."""


@dataclass
class IRLayer:
    """One layer with weights of an IR graph.

    Attributes:
        kind: ``'conv'``, ``'affine'`` or ``'prelu'``.
        name: Friendly name of the IR node.
        weight: Convolution kernel ``(O, I / groups, kh, kw)``, affine scale ``(C,)`` or
            PReLU slopes ``(C,)`` / ``(1,)``.
        bias: Convolution bias or affine shift ``(C,)``, None when the IR has none.
        groups: Convolution groups.
        stride: Convolution strides.
        padding: Convolution padding at the start of each axis.
        source: Name of the node whose output the layer reads.
        output: Name of the node that outputs the layer's result (its bias ``Add`` if any).
    """

    kind: str
    name: str
    weight: np.ndarray
    bias: Optional[np.ndarray] = None
    groups: int = 1
    stride: Tuple[int, ...] = (1, 1)
    padding: Tuple[int, ...] = (0, 0)
    source: str = ''
    output: str = ''

    def describe(self) -> str:
        """The layer in words, for error messages."""
        extra = f', groups {self.groups}, stride {list(self.stride)}' if self.kind == 'conv' else ''
        return f'IR {self.kind} {self.name!r} with weight {tuple(self.weight.shape)}{extra}'


class _ConstantFolder:
    """Evaluate the constant sub-graphs of an IR (weights and their decompression)."""

    _ELEMENTWISE = {'Add': np.add, 'Subtract': np.subtract, 'Multiply': np.multiply}

    def __init__(self) -> None:
        self._cache: Dict[str, Optional[np.ndarray]] = {}

    def __call__(self, node) -> Optional[np.ndarray]:
        key = node.get_name()
        if key not in self._cache:
            self._cache[key] = self._evaluate(node)
        return self._cache[key]

    def _inputs(self, node) -> List[Optional[np.ndarray]]:
        return [self(i.get_source_output().get_node()) for i in node.inputs()]

    def _evaluate(self, node) -> Optional[np.ndarray]:
        kind = node.get_type_name()
        if kind == 'Constant':
            return np.asarray(node.get_data()).astype(np.float64)
        if kind not in ('Convert', 'Reshape', 'Squeeze', 'Unsqueeze', *self._ELEMENTWISE):
            return None
        values = self._inputs(node)
        if any(v is None for v in values):
            return None
        if kind == 'Convert':
            return values[0]
        if kind in self._ELEMENTWISE:
            return self._ELEMENTWISE[kind](values[0], values[1])
        shape = tuple(int(d) for d in node.get_output_shape(0))
        return values[0].reshape(shape)


def _vector(values: np.ndarray, what: str, name: str) -> np.ndarray:
    """A per-channel constant ``(1, C, 1, 1)``, ``(1, C)`` or ``(C,)`` as ``(C,)``."""
    if sum(d > 1 for d in values.shape) > 1:
        raise ConversionError(
            f'IR node {name!r}: {what} of shape {values.shape} is not per-channel'
        )
    return values.reshape(-1)


def _const_consumer(node, kind: str, fold: _ConstantFolder):
    """The single consumer of ``node`` if it is a ``kind`` node with a constant other input."""
    targets = list(node.output(0).get_target_inputs())
    if len(targets) != 1:
        return None, None
    consumer = targets[0].get_node()
    if consumer.get_type_name() != kind:
        return None, None
    other = [i for i in consumer.inputs() if i.get_source_output().get_node() is not node]
    value = fold(other[0].get_source_output().get_node()) if len(other) == 1 else None
    return (consumer, value) if value is not None else (None, None)


def _data_source(node) -> str:
    return node.input(0).get_source_output().get_node().get_name()


def read_ir_layers(xml_path: str) -> List[IRLayer]:
    """Read the layers with weights of an OpenVINO IR, in graph order.

    Args:
        xml_path: The ``.xml`` file (its ``.bin`` beside it).

    Returns:
        The layers, see :class:`IRLayer`.

    Raises:
        ConversionError: A file that is not a readable IR, a convolution whose weights
            are not constant, or an affine whose constant is not per-channel.
    """
    from facerec.deployment.runtime import openvino_core

    if not str(xml_path).endswith('.xml') or not os.path.isfile(xml_path):
        raise ConversionError(f'{xml_path}: expected an OpenVINO IR .xml file (its .bin beside it)')
    try:
        graph = openvino_core().read_model(xml_path)
    except RuntimeError as err:
        raise ConversionError(f'Cannot read {xml_path} as an OpenVINO IR: {err}') from None
    fold = _ConstantFolder()
    layers: List[IRLayer] = []
    consumed = set()
    for node in graph.get_ordered_ops():
        kind, name = node.get_type_name(), node.get_friendly_name()
        if node.get_name() in consumed or fold(node) is not None:
            continue
        if kind in ('Convolution', 'GroupConvolution', 'MatMul'):
            layer = _read_linear(node, fold, xml_path)
            _absorb_bias_add(layer, node, fold, consumed)
            layers.append(layer)
        elif kind == 'PRelu':
            slope = fold(node.input(1).get_source_output().get_node())
            layers.append(IRLayer('prelu', name, slope.reshape(-1), source=_data_source(node)))
        elif kind in ('Multiply', 'Add', 'Subtract'):
            layer = _read_affine(node, fold)
            if layer is not None:
                if kind == 'Multiply':
                    _absorb_bias_add(layer, node, fold, consumed)
                layers.append(layer)
    return layers


def _absorb_bias_add(layer: IRLayer, node, fold: _ConstantFolder, consumed: set) -> None:
    """Take the constant ``Add`` that alone follows ``node`` as ``layer``'s bias (or shift)."""
    add, bias = _const_consumer(node, 'Add', fold)
    if add is not None:
        layer.bias = _vector(bias, 'bias', add.get_friendly_name())
        layer.output = add.get_name()
        consumed.add(add.get_name())


def _read_linear(node, fold: _ConstantFolder, xml_path: str) -> IRLayer:
    """A convolution or ``MatMul`` node as a ``'conv'`` layer (a MatMul as a 1x1 kernel)."""
    kind, name = node.get_type_name(), node.get_friendly_name()
    weight = fold(node.input(1).get_source_output().get_node())
    if weight is None:
        raise ConversionError(f'{xml_path}: the weights of {kind} {name!r} are not constants')
    groups = 1
    stride: Sequence[int] = (1, 1)
    padding: Sequence[int] = (0, 0)
    if kind == 'MatMul':
        attrs = node.get_attributes()
        weight = weight.reshape(weight.shape[-2:])
        weight = weight if attrs.get('transpose_b') else weight.T
        weight = weight.reshape(*weight.shape, 1, 1)
    else:
        attrs = node.get_attributes()
        if kind == 'GroupConvolution':
            groups = weight.shape[0]
            weight = weight.reshape(groups * weight.shape[1], *weight.shape[2:])
        stride, padding = attrs['strides'], attrs['pads_begin']
    return IRLayer(
        'conv',
        name,
        weight,
        groups=int(groups),
        stride=tuple(int(s) for s in stride),
        padding=tuple(int(p) for p in padding),
        source=_data_source(node),
        output=node.get_name(),
    )


def _read_affine(node, fold: _ConstantFolder) -> Optional[IRLayer]:
    """A ``Multiply`` / ``Add`` / ``Subtract`` by a per-channel constant, else None."""
    values = [fold(i.get_source_output().get_node()) for i in node.inputs()]
    if len(values) != 2 or sum(v is None for v in values) != 1:
        return None  # data times data (squeeze-excitation, residual sums)
    data_index = 0 if values[0] is None else 1
    const = _vector(values[1 - data_index], 'constant', node.get_friendly_name())
    kind = node.get_type_name()
    if kind == 'Subtract' and data_index == 1:
        return None  # constant minus data: not an affine of this form
    scale = const if kind == 'Multiply' else np.ones(1)
    shift = None if kind == 'Multiply' else (const if kind == 'Add' else -const)
    source = node.input(data_index).get_source_output().get_node().get_name()
    return IRLayer(
        'affine', node.get_friendly_name(), scale, shift, source=source, output=node.get_name()
    )


def _forward_calls(model: nn.Module, example: torch.Tensor) -> List[tuple]:
    """``(name, module, input, output)`` of each weighted module, in call order."""
    calls: List[tuple] = []
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, _WEIGHTED):

            def hook(mod, inputs, output, name=name):
                calls.append((name, mod, inputs[0], output))

            handles.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            model(example)
    finally:
        for handle in handles:
            handle.remove()
    names = [c[0] for c in calls]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConversionError(f'Modules called more than once cannot be mapped: {repeated}')
    return calls


def _module_desc(name: str, module: nn.Module) -> str:
    shape = tuple(module.weight.shape) if getattr(module, 'weight', None) is not None else ()
    return f'model {type(module).__name__} {name!r} with weight {shape}'


class _Pairing:
    """Walk the model's weighted modules and the IR layers side by side."""

    def __init__(self, layers: Sequence[IRLayer]) -> None:
        self.layers = list(layers)
        self.index = 0
        self.loaded: Dict[str, Dict[str, torch.Tensor]] = {}

    def take(self, kind: str, name: str, module: nn.Module) -> IRLayer:
        if self.index >= len(self.layers):
            raise ConversionError(
                f'{_module_desc(name, module)} has no counterpart: the IR has only '
                f'{len(self.layers)} layers with weights'
            )
        layer = self.layers[self.index]
        if layer.kind != kind:
            raise ConversionError(
                f'Layer {self.index} differs: {_module_desc(name, module)} needs an IR {kind}, '
                f'found {layer.describe()}'
            )
        self.index += 1
        return layer

    def peek(self) -> Optional[IRLayer]:
        return self.layers[self.index] if self.index < len(self.layers) else None

    def mismatch(self, name: str, module: nn.Module, layer: IRLayer, what: str) -> None:
        raise ConversionError(
            f'Layer {self.index - 1} differs ({what}): {_module_desc(name, module)}, '
            f'{layer.describe()}'
        )

    def put(self, name: str, **tensors: np.ndarray) -> None:
        self.loaded[name] = {
            k: torch.tensor(np.array(v, np.float64), dtype=torch.float32)
            for k, v in tensors.items()
        }


def _per_channel(values: Optional[np.ndarray], channels: int, default: float) -> np.ndarray:
    if values is None:
        return np.full(channels, default)
    return np.broadcast_to(values.reshape(-1), (channels,)) if values.size == 1 else values


def _batch_norm_state(bn: nn.Module, scale: np.ndarray, shift: np.ndarray) -> dict:
    """A batch norm that computes ``scale * x + shift`` in eval mode."""
    channels = bn.num_features
    return dict(
        weight=_per_channel(scale, channels, 1.0),
        bias=_per_channel(shift, channels, 0.0),
        running_mean=np.zeros(channels),
        running_var=np.full(channels, 1.0 - bn.eps),
    )


def _pair_linear(pair: _Pairing, calls: list, i: int) -> int:
    """Load a Conv2d or Linear (and the batch norm right after it); returns the next index."""
    name, module, _, output = calls[i]
    layer = pair.take('conv', name, module)
    weight = layer.weight
    if isinstance(module, nn.Linear):
        if weight.shape[2:] != (1, 1):
            pair.mismatch(name, module, layer, 'a linear layer takes a 1x1 kernel')
        weight = weight.reshape(weight.shape[:2])
    elif (module.groups, tuple(module.stride)) != (layer.groups, layer.stride) or tuple(
        module.padding
    ) != layer.padding:
        pair.mismatch(
            name,
            module,
            layer,
            f'groups/stride/padding {module.groups}/{list(module.stride)}/{list(module.padding)}'
            f' vs {layer.groups}/{list(layer.stride)}/{list(layer.padding)}',
        )
    if tuple(weight.shape) != tuple(module.weight.shape):
        pair.mismatch(name, module, layer, 'shape')
    out_channels = weight.shape[0]
    bias = _per_channel(layer.bias, out_channels, 0.0)
    follower = calls[i + 1] if i + 1 < len(calls) else None
    if (
        follower is not None
        and isinstance(follower[1], (nn.BatchNorm1d, nn.BatchNorm2d))
        and follower[2] is output
    ):
        scale, shift = np.ones(out_channels), np.zeros(out_channels)
        after = pair.peek()
        if after is not None and after.kind == 'affine' and after.source == layer.output:
            pair.take('affine', follower[0], follower[1])
            scale = _per_channel(after.weight, out_channels, 1.0)
            shift = _per_channel(after.bias, out_channels, 0.0)
        if module.bias is not None:
            pair.put(name, weight=weight, bias=bias)
        else:
            pair.put(name, weight=weight)
            shift = scale * bias + shift
        pair.put(follower[0], **_batch_norm_state(follower[1], scale, shift))
        return i + 2
    if module.bias is None:
        if layer.bias is not None and np.any(layer.bias != 0):
            pair.mismatch(name, module, layer, 'the IR layer has a bias, the model layer none')
        pair.put(name, weight=weight)
    else:
        pair.put(name, weight=weight, bias=bias)
    return i + 1


def load_ir_into_model(
    model: nn.Module, layers: Sequence[IRLayer], example: torch.Tensor
) -> List[str]:
    """Copy the weights of IR layers into a model of the same architecture.

    Args:
        model: The model, whose forward pass on ``example`` runs the layers that the IR has
            (e.g. an :class:`~facerec.deployment.ExportWrapper` around a recogniser).
        layers: From :func:`read_ir_layers`.
        example: An input of the model's shape (its values do not matter).

    Returns:
        The names of the modules that were loaded, in call order.

    Raises:
        ConversionError: At the first layer that does not fit, naming both layers and their
            shapes, or when one side has layers left over.
    """
    model.eval()
    calls = _forward_calls(model, example)
    pair = _Pairing(layers)
    i = 0
    while i < len(calls):
        name, module = calls[i][:2]
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            i = _pair_linear(pair, calls, i)
            continue
        if isinstance(module, nn.PReLU):
            layer = pair.take('prelu', name, module)
            if layer.weight.size not in (1, module.weight.numel()):
                pair.mismatch(name, module, layer, 'number of slopes')
            pair.put(name, weight=_per_channel(layer.weight, module.weight.numel(), 0.25))
        else:
            layer = pair.take('affine', name, module)
            for values in (layer.weight, layer.bias):
                if values is not None and values.size not in (1, module.num_features):
                    pair.mismatch(name, module, layer, 'number of channels')
            pair.put(name, **_batch_norm_state(module, layer.weight, layer.bias))
        i += 1
    if pair.index != len(pair.layers):
        extra = pair.layers[pair.index]
        raise ConversionError(
            f'The IR has {len(pair.layers) - pair.index} more layers with weights than the '
            f'model, from {extra.describe()}'
        )
    modules = dict(model.named_modules())
    with torch.no_grad():
        for name, tensors in pair.loaded.items():
            for key, value in tensors.items():
                getattr(modules[name], key).copy_(value.reshape(getattr(modules[name], key).shape))
    return [c[0] for c in calls]
