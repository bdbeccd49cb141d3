"""Small functions over NNCF-compressed torch modules shared by the compression wrappers.

NNCF (>= 3.0) compresses a torch module by replacing its ``forward`` with one that runs
*hooks* (fake quantizers, sparsity masks) around the module's operations, and keeps those hooks
in a ``HookStorage`` sub-module. :func:`nncf.torch.get_config` describes what the hooks are and
where they sit; their tensors (quantizer scales, masks) are ordinary state-dict entries.
"""

import copy
import json
from typing import Any, Dict, Iterator, Optional, Tuple

import torch
import torch.nn as nn

#: NNCF's ``OverflowFix`` values.
OVERFLOW_FIX_CHOICES = ('enable', 'disable', 'first_layer_only')

#: Name of the sub-module in which NNCF keeps the hooks of a wrapped module.
HOOK_STORAGE_NAME = '__nncf_hooks'


def is_compressed(module: nn.Module) -> bool:
    """Whether NNCF has wrapped ``module`` (its forward runs hooks)."""
    from nncf.torch.function_hook.wrapper import is_wrapped

    return is_wrapped(module)


def build_ignored_scope(cfg: Optional[dict]):
    """``dict(names=[...], patterns=[...], types=[...])`` -> :class:`nncf.IgnoredScope`."""
    if cfg is None:
        return None
    import nncf

    unknown = sorted(set(cfg) - {'names', 'patterns', 'types', 'validate'})
    if unknown:
        raise KeyError(f'Unknown ignored_scope keys {unknown}; use names, patterns, types')
    return nncf.IgnoredScope(**cfg)


def is_hook_key(key: str) -> bool:
    """Whether a state-dict key belongs to NNCF's hook storage (quantizers, masks)."""
    return f'{HOOK_STORAGE_NAME}.' in key


def compression_config(module: nn.Module) -> Dict[str, Any]:
    """The hooks of a compressed module as plain JSON data.

    :func:`nncf.torch.get_config` returns enums and tuples; a JSON round trip turns them into
    strings and lists, so the result can be stored in a checkpoint that is loaded weights-only.
    """
    from nncf.torch import get_config

    return json.loads(json.dumps(get_config(module)))


def _decode_quantizer_config(cfg: Any) -> Any:
    """Undo the JSON round trip for the fields NNCF's quantizer specs compare or index."""
    if isinstance(cfg, dict):
        out = {k: _decode_quantizer_config(v) for k, v in cfg.items()}
        if 'mode' in out and isinstance(out['mode'], str):
            from nncf.common.quantization.structs import QuantizationScheme

            out['mode'] = QuantizationScheme(out['mode'])
        for key in ('scale_shape', 'shape', 'orig_weight_shape', 'weight_shape'):
            if isinstance(out.get(key), list):
                out[key] = tuple(out[key])
        return out
    return cfg


def restore_compression(module: nn.Module, config: Dict[str, Any]) -> nn.Module:
    """Insert the hooks that ``config`` (from :func:`compression_config`) describes into an
    uncompressed ``module``, in place; their tensors keep default values until a state dict is
    loaded. Only hook classes from the ``nncf`` package are accepted."""
    from nncf.torch import load_from_config

    if is_compressed(module):
        raise RuntimeError(f'{type(module).__name__} is already compressed')
    state = {
        'compression_state': [
            dict(command, module_config=_decode_quantizer_config(command['module_config']))
            for command in config['compression_state']
        ]
    }
    return load_from_config(module, state)


def remove_compression(module: nn.Module) -> nn.Module:
    """Remove NNCF's forward wrapper and hook storage from ``module``, in place."""
    if not is_compressed(module):
        return module
    module.__dict__.pop('forward', None)
    module.__dict__.pop('_replicate_for_data_parallel', None)
    module._modules.pop(HOOK_STORAGE_NAME, None)
    return module


def uncompressed_copy(module: nn.Module) -> nn.Module:
    """A deep copy of ``module`` without NNCF hooks: its fp32 weights only."""
    return remove_compression(copy.deepcopy(module))


def same_structure(config_a: Dict[str, Any], config_b: Dict[str, Any]) -> bool:
    """Whether two :func:`compression_config` results place the same hooks."""
    return json.dumps(config_a, sort_keys=True) == json.dumps(config_b, sort_keys=True)


def iter_quantizers(module: nn.Module) -> Iterator[nn.Module]:
    """The NNCF fake quantizers inside ``module``."""
    from nncf.torch.quantization.layers import BaseQuantizer

    for m in module.modules():
        if isinstance(m, BaseQuantizer):
            yield m


def iter_pruning_masks(module: nn.Module) -> Iterator[Tuple[str, torch.Tensor]]:
    """``(weight name, binary mask)`` of every magnitude-sparsity hook inside ``module``; the
    name is the masked parameter's, relative to the module that NNCF wrapped."""
    from nncf.torch.function_hook.pruning.magnitude.modules import UnstructuredPruningMask

    for name, m in module.named_modules():
        if isinstance(m, UnstructuredPruningMask):
            # e.g. '__nncf_hooks.post_hooks.stages:1:0:se:fc1:weight__0.0'
            hook = name.rsplit('post_hooks.', 1)[-1].rsplit('__', 1)[0]
            yield hook.replace(':', '.'), m.binary_mask


def set_quantizer_export_mode(module: nn.Module, onnx_qdq: bool) -> None:
    """Choose how the fake quantizers of ``module`` appear when traced.

    Args:
        module: A module with NNCF quantizers.
        onnx_qdq: True: ONNX ``QuantizeLinear``/``DequantizeLinear`` pairs (for
            ``torch.onnx.export``); False: ``torch.fake_quantize_*`` ops, which OpenVINO's
            PyTorch frontend turns into ``FakeQuantize`` (for ``openvino.convert_model``).
    """
    from nncf.torch.quantization.layers import QuantizerExportMode

    mode = (
        QuantizerExportMode.ONNX_QUANTIZE_DEQUANTIZE_PAIRS
        if onnx_qdq
        else QuantizerExportMode.FAKE_QUANTIZE
    )
    for quantizer in iter_quantizers(module):
        quantizer.set_export_mode(mode)


def sparsity_statistics(module: nn.Module) -> Dict[str, float]:
    """Sparsity reached by the masks inside ``module``.

    Returns:
        dict: ``sparsity`` (fraction of masked-out elements among the weights that carry a
        mask), ``global_sparsity`` (the same count over all fp32 parameters of ``module``) and
        ``num_masks``. Zeros when ``module`` has no masks.
    """
    masked = total = num_masks = 0
    for _, mask in iter_pruning_masks(module):
        masked += int((~mask.bool()).sum())
        total += mask.numel()
        num_masks += 1
    params = sum(p.numel() for name, p in module.named_parameters() if not is_hook_key(name))
    return dict(
        sparsity=masked / total if total else 0.0,
        global_sparsity=masked / params if params else 0.0,
        num_masks=float(num_masks),
    )
