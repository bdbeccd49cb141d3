"""Post-training int8 quantisation with NNCF, and NNCF fake quantizers at export time."""

import copy
import sys
from typing import List, Sequence

import torch
import torch.nn as nn

from facerec.models.compression.nncf_utils import OVERFLOW_FIX_CHOICES
from facerec.utils.checks import check_choice


def _nncf_quantizer_class():
    """NNCF's base fake-quantizer module class, or None when NNCF's torch quantizers were
    never imported (then no model can hold one, and the slow import is skipped)."""
    layers = sys.modules.get('nncf.torch.quantization.layers')
    return getattr(layers, 'BaseQuantizer', None)


def fake_quantizers(model: nn.Module) -> List[nn.Module]:
    """The NNCF fake-quantizer modules inside ``model`` (empty for a float model)."""
    base = _nncf_quantizer_class()
    if base is None:
        return []
    return [m for m in model.modules() if isinstance(m, base)]


def has_fake_quantizers(model: nn.Module) -> bool:
    """Whether ``model`` carries NNCF fake quantizers (a QAT or PTQ int8 model)."""
    return bool(fake_quantizers(model))


def set_onnx_qdq_export(model: nn.Module) -> int:
    """Make every NNCF fake quantizer of ``model`` export as ONNX QuantizeLinear /
    DequantizeLinear pairs instead of NNCF's custom ``FakeQuantize`` op, which
    onnxruntime cannot run (OpenVINO reads both).

    Returns:
        The number of quantizers switched.
    """
    quantizers = fake_quantizers(model)
    if quantizers:
        from nncf.torch.quantization.layers import QuantizerExportMode

        for quantizer in quantizers:
            quantizer.set_export_mode(QuantizerExportMode.ONNX_QUANTIZE_DEQUANTIZE_PAIRS)
    return len(quantizers)


def cpu_has_vnni(cpuinfo: str = '/proc/cpuinfo') -> bool:
    """Whether this CPU has VNNI (AVX-VNNI, AVX-512 VNNI or AMX int8) instructions.

    Without them, OpenVINO's int8 kernels sum pairs of u8 x s8 products in saturating 16-bit
    lanes, so a model quantised with full 8-bit weights (NNCF ``overflow_fix='disable'``) may
    compute something else on this CPU; 7-bit weights (``'enable'``) cannot overflow.
    Returns False where ``cpuinfo`` cannot be read (not Linux).
    """
    try:
        with open(cpuinfo) as f:
            flags = {w for line in f if line.startswith('flags') for w in line.split()}
    except OSError:
        return False
    return bool(flags & {'avx512_vnni', 'avx_vnni', 'amx_int8'})


def quantize_int8(
    model: nn.Module,
    calibration_images: Sequence[torch.Tensor],
    fast_bias_correction: bool = True,
    overflow_fix: str = 'enable',
) -> nn.Module:
    """Quantise a float model to int8 with ``nncf.quantize`` (post-training).

    Args:
        model: The float model, e.g. an :class:`~facerec.deployment.ExportWrapper` (it
            is copied, not changed).
        calibration_images: Inputs of the model, each a ``(1, 3, H, W)`` float tensor
            (for an ``ExportWrapper``: raw BGR 0..255 pixels).
        fast_bias_correction: Use NNCF's fast bias correction (else the slower full one).
        overflow_fix: NNCF's overflow fix: ``'enable'`` (default) stores weights on 7 bits
            so that CPUs without VNNI (AVX2, AVX-512 without VNNI), whose int8 kernels
            saturate the sums of products of 8-bit weights, compute what the model computes;
            ``'first_layer_only'`` or ``'disable'`` keep the full 8 bits for CPUs with VNNI.

    Returns:
        The quantised copy, with NNCF fake quantizers on weights and activations.
    """
    import nncf
    from nncf.quantization.advanced_parameters import (
        AdvancedQuantizationParameters,
        OverflowFix,
    )

    check_choice('overflow_fix', overflow_fix, OVERFLOW_FIX_CHOICES)
    if len(calibration_images) == 0:
        raise ValueError('int8 quantisation needs at least one calibration image')
    if has_fake_quantizers(model):
        raise ValueError('The model is already quantised (it has NNCF fake quantizers)')
    images = [torch.as_tensor(img, dtype=torch.float32) for img in calibration_images]
    for i, img in enumerate(images):
        if img.dim() != 4 or img.shape[0] != 1:
            raise ValueError(
                f'Calibration image {i} has shape {tuple(img.shape)}; expected (1, 3, H, W)'
            )
    model = copy.deepcopy(model).eval()
    return nncf.quantize(
        model,
        nncf.Dataset(images),
        subset_size=len(images),
        fast_bias_correction=fast_bias_correction,
        advanced_parameters=AdvancedQuantizationParameters(overflow_fix=OverflowFix(overflow_fix)),
    )
