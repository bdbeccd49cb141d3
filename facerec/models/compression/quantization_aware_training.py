"""Int8 quantisation-aware training: NNCF fake quantizers, calibrated, then fine-tuned."""

import copy
from typing import Any, Dict, List, Optional, Union

import torch
import torch.nn as nn

from facerec.registry import MODELS
from facerec.utils.checks import check_choice

from .base_compressed_model import BaseCompressedModel, CompressionStep
from .magnitude_sparsity import SparsityStep
from .nncf_utils import OVERFLOW_FIX_CHOICES, build_ignored_scope, iter_quantizers

#: Defaults of ``QuantizationAwareTraining(quantization=...)``: symmetric per-channel weights
#: and symmetric signed per-tensor activations, as the reference recipe quantised MobileFaceNet.
DEFAULT_QUANTIZATION: Dict[str, Any] = dict(
    calibration_batches=10,
    preset='performance',
    weights=dict(mode='symmetric', per_channel=True),
    activations=dict(mode='symmetric', signed=True),
    target_device='ANY',
    fast_bias_correction=True,
    overflow_fix='disable',
    ignored_scope=None,
)
_TENSOR_KEYS = {'mode', 'signed', 'per_channel', 'narrow_range', 'num_bits'}


def _check_keys(name: str, cfg: dict, allowed) -> None:
    unknown = sorted(set(cfg) - set(allowed))
    if unknown:
        raise KeyError(f'Unknown {name} keys {unknown}; allowed: {sorted(allowed)}')


def force_signedness(module: nn.Module, part: str, signed: bool) -> int:
    """Make the symmetric quantizers of ``part`` (``'weights'`` or ``'activations'``) signed or
    unsigned, keeping their scales; returns how many changed.

    NNCF chooses the signedness of an activation quantizer from the calibration statistics
    (unsigned when no negative value was seen); a signed range keeps values that turn negative
    during fine-tuning, as the reference recipe's ``signed`` activations did.
    """
    from nncf.torch.quantization.layers import SymmetricQuantizer

    changed = 0
    for quantizer in iter_quantizers(module):
        if not isinstance(quantizer, SymmetricQuantizer):
            continue
        is_weight = quantizer.get_config().get('signedness_to_force') is not None
        if is_weight == (part == 'weights') and quantizer.signed != signed:
            quantizer.signed = signed
            changed += 1
    return changed


class QuantizationStep(CompressionStep):
    """:func:`nncf.quantize` with the settings of a ``quantization`` config.

    Keys (defaults in :data:`DEFAULT_QUANTIZATION`):

    - ``calibration_batches``: training batches used to set the quantizer ranges;
    - ``preset``: ``'performance'`` (symmetric) or ``'mixed'`` (asymmetric activations), used
      where ``weights``/``activations`` say nothing;
    - ``weights`` / ``activations``: ``mode`` (``'symmetric'``/``'asymmetric'``), ``signed``
      (force signed or unsigned ranges; signed activations keep the placement independent of
      the data), ``per_channel``, ``narrow_range``, ``num_bits``;
    - ``target_device``: ``'ANY'``, ``'CPU'``, ``'GPU'``, ``'NPU'``;
    - ``fast_bias_correction``: correct the biases shifted by weight quantisation;
    - ``overflow_fix``: ``'disable'`` (default), ``'first_layer_only'`` or ``'enable'``: half
      the weight range where int8 kernels of CPUs without VNNI could saturate. The exported
      graph does not reproduce the halved ranges exactly, so the fix costs agreement between
      the trained and the deployed model; None leaves the choice to NNCF;
    - ``ignored_scope``: ``dict(names=..., patterns=..., types=...)`` of NNCF node names.
    """

    name = 'quantization'

    def __init__(self, cfg: Optional[dict] = None) -> None:
        cfg = copy.deepcopy(dict(cfg or {}))
        _check_keys('quantization', cfg, DEFAULT_QUANTIZATION)
        merged = copy.deepcopy(DEFAULT_QUANTIZATION)
        for key in ('weights', 'activations'):
            part = dict(cfg.pop(key, None) or {})
            _check_keys(f'quantization.{key}', part, _TENSOR_KEYS)
            merged[key].update(part)
            if merged[key].get('mode') not in ('symmetric', 'asymmetric'):
                raise ValueError(
                    f"quantization.{key}.mode must be 'symmetric' or 'asymmetric', "
                    f'got {merged[key].get("mode")!r}'
                )
        merged.update(cfg)
        if merged['preset'] not in ('performance', 'mixed'):
            raise ValueError(
                f"quantization.preset must be 'performance' or 'mixed', got {merged['preset']!r}"
            )
        if merged['overflow_fix'] is not None:
            check_choice('quantization.overflow_fix', merged['overflow_fix'], OVERFLOW_FIX_CHOICES)
        if int(merged['calibration_batches']) < 1:
            raise ValueError('quantization.calibration_batches must be at least 1')
        self.cfg = merged

    @property
    def calibration_batches(self) -> int:
        return int(self.cfg['calibration_batches'])

    def to_dict(self) -> Dict[str, Any]:
        return dict(name=self.name, **copy.deepcopy(self.cfg))

    def _nncf_parameters(self, refine: bool):
        import nncf
        from nncf.common.quantization.structs import QuantizationScheme
        from nncf.quantization.advanced_parameters import (
            AdvancedQuantizationParameters,
            OverflowFix,
            QuantizationParameters,
        )

        def tensor_params(part: dict) -> QuantizationParameters:
            # Signedness is not passed: NNCF's device configs leave it free, and forcing it
            # there is refused; ``signed`` is applied to the calibrated quantizers instead.
            return QuantizationParameters(
                num_bits=part.get('num_bits'),
                mode=QuantizationScheme(part['mode']),
                per_channel=part.get('per_channel'),
                narrow_range=part.get('narrow_range'),
            )

        overflow_fix = self.cfg['overflow_fix']
        advanced = AdvancedQuantizationParameters(
            overflow_fix=OverflowFix(overflow_fix) if overflow_fix is not None else None,
            disable_bias_correction=not (refine and self.cfg['fast_bias_correction']),
            weights_quantization_params=tensor_params(self.cfg['weights']),
            activations_quantization_params=tensor_params(self.cfg['activations']),
        )
        return dict(
            preset=nncf.QuantizationPreset(self.cfg['preset']),
            target_device=nncf.TargetDevice(self.cfg['target_device']),
            ignored_scope=build_ignored_scope(self.cfg['ignored_scope']),
            advanced_parameters=advanced,
        )

    def apply(
        self, module: nn.Module, batches: List[torch.Tensor], calibrate: bool, refine: bool = True
    ) -> nn.Module:
        import nncf

        module = nncf.quantize(
            module,
            nncf.Dataset(batches),
            subset_size=len(batches),
            **self._nncf_parameters(calibrate and refine),
        )
        for part in ('weights', 'activations'):
            if self.cfg[part].get('signed') is not None:
                force_signedness(module, part, bool(self.cfg[part]['signed']))
        return module


@MODELS.register_module()
class QuantizationAwareTraining(BaseCompressedModel):
    """Int8 quantisation-aware training of an architecture's backbone.

    The backbone gets NNCF fake quantizers on its weights and activations, calibrated on
    training batches (``quantization.calibration_batches``) before training; fine-tuning with
    the normal training loop then trains the weights and the quantizer ranges together. With
    ``sparsity``, the backbone is first made sparse (magnitude masks, raised by
    ``CompressionHook`` to the target level during training) and then quantised.

    Example::

        model = dict(
            type='QuantizationAwareTraining',
            architecture=dict(type='FaceRecognizer', backbone=..., head=...),
            quantization=dict(calibration_batches=10, activations=dict(signed=True)),
        )

    Args:
        architecture: The model to compress (config or module).
        quantization: Settings, see :class:`QuantizationStep`.
        sparsity: Optional magnitude-sparsity settings, see
            :class:`~facerec.models.compression.magnitude_sparsity.SparsityStep`.
        **kwargs: ``compress``, ``example_input_shape``, ``norm_eval``, ``data_preprocessor``
            and ``init_cfg`` of :class:`~.base_compressed_model.BaseCompressedModel`.
    """

    def __init__(
        self,
        architecture: Union[dict, nn.Module],
        quantization: Optional[dict] = None,
        sparsity: Optional[dict] = None,
        **kwargs,
    ) -> None:
        steps: List[CompressionStep] = [SparsityStep(sparsity)] if sparsity is not None else []
        steps.append(QuantizationStep(quantization))
        super().__init__(architecture, steps, **kwargs)
