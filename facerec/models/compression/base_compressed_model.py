"""Shared machinery of the compression wrappers: an architecture with an NNCF-compressed part."""

import json
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModel

from ..wrapped_model import WrappedModelParts, adopt_wrapped_checkpoint, build_wrapped_model
from .nncf_utils import (
    HOOK_STORAGE_NAME,
    compression_config,
    is_hook_key,
    iter_quantizers,
    remove_compression,
    restore_compression,
    same_structure,
    set_quantizer_export_mode,
    sparsity_statistics,
    uncompressed_copy,
)

#: Version of the extra state a compressed model writes into its checkpoints.
STATE_FORMAT = 1


class CompressionStep:
    """One NNCF algorithm applied to the compressed sub-module (see the subclasses)."""

    name = 'compression'
    #: Training batches the step needs when the compression is initialised.
    calibration_batches = 0

    def apply(
        self, module: nn.Module, batches: List[torch.Tensor], calibrate: bool, refine: bool = True
    ) -> nn.Module:
        """Compress ``module`` (eval mode, fp32 weights) and return the result.

        Args:
            module: The sub-module to compress; NNCF may change it in place or copy it.
            batches: Normalised input batches; the first one is the example input.
            calibrate: False for the structural pass on synthetic data, which only has to place
                the hooks: data-dependent work may be skipped.
            refine: False skips corrections that need more data than a batch (bias
                correction).
        """
        raise NotImplementedError

    def to_dict(self) -> Dict[str, Any]:
        """The settings, as plain data (stored in checkpoints)."""
        raise NotImplementedError


class BaseCompressedModel(WrappedModelParts, BaseModel):
    """An ``architecture`` (``FaceRecognizer``, ``LandmarkRegressor``...) with a compressed part.

    The sub-module named by ``compress`` (the backbone by default: the margin head is only used
    in training and stays fp32) is compressed by NNCF. Every forward mode goes to the
    architecture, whose ``extract_feat`` then runs the compressed backbone.

    Life cycle:

    1. Construction places NNCF's hooks (quantizers, sparsity masks) by running the algorithms
       on synthetic inputs, so the optimiser that the runner builds next sees every trainable
       tensor and a compressed checkpoint loads into the model as it is.
    2. ``load_from`` may point at a checkpoint of the bare architecture (the fp32 model to
       compress): it loads into ``architecture`` (see :meth:`_load_from_state_dict`) and the
       compression state, which it lacks, stays uncalibrated.
    3. :meth:`initialize_compression` compresses a copy of the (now trained) fp32 sub-module
       with real batches (range calibration, magnitude masks, batch-norm adaptation) and copies
       its state into the model in place. ``CompressionHook`` calls it before training (or
       before testing an uncalibrated model) with batches of the training set; training or
       predicting with an uncalibrated model is refused.
    4. Checkpoints hold the hook tensors and, as the module's extra state, the NNCF config of
       the hooks as JSON (UTF-8 bytes in a uint8 tensor), so they load weights-only; a
       checkpoint whose hooks differ from the constructed ones has its own placement restored
       (:meth:`set_extra_state`) before its tensors load.

    Args:
        architecture: Config (or module) of the model to compress.
        steps: The algorithms, applied in order.
        compress: Attribute path of the compressed sub-module inside the architecture.
        example_input_shape: ``(C, H, W)`` of the synthetic inputs of the structural pass;
            defaults to ``(3, *backbone.input_size)``.
        norm_eval: Keep the batch-norm layers of the compressed sub-module in eval mode while
            training: their running statistics stay those of the fp32 model (or of the
            batch-norm adaptation) and only their affine parameters are fine-tuned.
        data_preprocessor: Defaults to the architecture's own.
        init_cfg: Weight initialisation config.
    """

    def __init__(
        self,
        architecture: Union[dict, nn.Module],
        steps: Sequence[CompressionStep],
        compress: str = 'backbone',
        example_input_shape: Optional[Sequence[int]] = None,
        norm_eval: bool = False,
        data_preprocessor: Optional[Union[dict, nn.Module]] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        architecture, data_preprocessor = build_wrapped_model(
            architecture, data_preprocessor, 'architecture'
        )
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.architecture = architecture
        if not steps:
            raise ValueError('a compressed model needs at least one compression algorithm')
        self.steps = list(steps)
        self.compress = str(compress)
        self.norm_eval = bool(norm_eval)
        try:
            target = self.architecture.get_submodule(self.compress) if self.compress else None
        except AttributeError:
            target = None
        if target is None or target is self.architecture:
            raise ValueError(
                f'compress={compress!r} must name a sub-module of {type(architecture).__name__} '
                '(e.g. "backbone")'
            )
        if isinstance(target, nn.Sequential):
            raise TypeError(
                f'{self.compress!r} is an nn.Sequential, which NNCF cannot wrap; give it a '
                'module class of its own whose forward calls the sequence'
            )
        self.example_input_shape = self._example_shape(target, example_input_shape)
        self.register_buffer('compression_initialized', torch.tensor(False))
        self.register_buffer('sparsity_level', torch.tensor(0.0))
        self.sparsity_step = next((s for s in self.steps if s.name == 'sparsity'), None)
        self._structure = self._place_hooks(target)

    # ------------------------------------------------------------------ structure
    @staticmethod
    def _example_shape(target: nn.Module, shape: Optional[Sequence[int]]) -> Tuple[int, ...]:
        if shape is None:
            size = getattr(target, 'input_size', None)
            if size is None:
                raise ValueError(
                    f'{type(target).__name__} has no `input_size`; give the compressed model '
                    '`example_input_shape=(C, H, W)`'
                )
            size = (size, size) if isinstance(size, int) else tuple(size)
            shape = (3, *size)
        shape = tuple(int(v) for v in shape)
        if len(shape) != 3 or min(shape) <= 0:
            raise ValueError(f'example_input_shape must be (C, H, W), got {shape!r}')
        return shape

    def _place_hooks(self, target: nn.Module) -> Dict[str, Any]:
        """Insert the hooks of the algorithms into ``target`` (values are not calibrated)."""
        generator = torch.Generator().manual_seed(0)
        batches = [torch.randn((2, *self.example_input_shape), generator=generator)]
        compressed = self._run_steps(uncompressed_copy(target), batches, calibrate=False)
        config = compression_config(compressed)
        restore_compression(target, config)
        return config

    def _run_steps(
        self, module: nn.Module, batches: List[torch.Tensor], calibrate: bool, refine: bool = True
    ) -> nn.Module:
        module.eval()
        with torch.random.fork_rng(devices=[]):
            for step in self.steps:
                module = step.apply(module, batches, calibrate, refine)
        return module

    @property
    def compressed_module(self) -> nn.Module:
        """The compressed sub-module (the backbone by default)."""
        return self.architecture.get_submodule(self.compress)

    @property
    def compression_structure(self) -> Dict[str, Any]:
        """The NNCF config of the hooks in place (JSON data)."""
        return self._structure

    @property
    def is_initialized(self) -> bool:
        """Whether the hooks hold calibrated values (not the construction-time defaults)."""
        return bool(self.compression_initialized)

    @torch.no_grad()
    def initialize_compression(self, batches: Sequence[torch.Tensor], refine: bool = True) -> None:
        """Compress the current fp32 weights with real data and load the result in place.

        Args:
            batches: Normalised input batches ``(N, C, H, W)`` (after the data preprocessor).
            refine: False skips the corrections that need many batches (bias correction).
        """
        batches = [b.detach() for b in batches]
        if not batches:
            raise ValueError('initialize_compression needs at least one batch')
        target = self.compressed_module
        device = next(target.parameters()).device
        fresh = self._run_steps(
            uncompressed_copy(target), [b.to(device) for b in batches], True, refine
        )
        fresh_config = compression_config(fresh)
        if not same_structure(fresh_config, self._structure):
            raise RuntimeError(
                'Compressing the trained weights placed other hooks than the construction did '
                f'({len(fresh_config["compression_state"])} vs '
                f'{len(self._structure["compression_state"])}); the placement must not depend '
                'on the data (e.g. set quantization.activations.signed)'
            )
        target.load_state_dict(fresh.state_dict(), strict=True)
        self.compression_initialized.fill_(True)
        self._after_initialize()

    def _after_initialize(self) -> None:
        if self.sparsity_step is not None:
            self.sparsity_level.fill_(self.sparsity_step.schedule(0))

    @property
    def calibration_batches(self) -> int:
        """Training batches :meth:`initialize_compression` should get (the most a step uses)."""
        return max(int(s.calibration_batches) for s in self.steps)

    @torch.no_grad()
    def set_sparsity_level(self, level: float) -> None:
        """Recompute the magnitude masks for ``level`` from the current weights."""
        if self.sparsity_step is None:
            raise RuntimeError(f'{type(self).__name__} has no sparsity; set `sparsity=dict(...)`')
        self.sparsity_step.set_level(self.compressed_module, level)
        self.sparsity_level.fill_(float(level))

    def init_weights(self) -> None:
        """Initialise the architecture's weights; the NNCF hooks keep their state.

        The hooks are set aside meanwhile: mmengine's initialisation bookkeeping averages every
        parameter, and NNCF keeps integer flags as parameters.
        """
        target = self.compressed_module
        storage = target._modules.pop(HOOK_STORAGE_NAME, None)
        try:
            if hasattr(self.architecture, 'init_weights'):
                self.architecture.init_weights()
        finally:
            if storage is not None:
                target._modules[HOOK_STORAGE_NAME] = storage
        self._is_init = True

    # ------------------------------------------------------------------ checkpoints
    def get_extra_state(self) -> torch.Tensor:
        """The compression settings and hook placement, as UTF-8 JSON bytes in a uint8 tensor
        (a tensor, so that weights-only loading and tracers that walk the state dict take it)."""
        text = json.dumps(
            dict(
                format=STATE_FORMAT,
                compress=self.compress,
                algorithms=[s.to_dict() for s in self.steps],
                nncf=self._structure,
            ),
            default=str,
        )
        return torch.frombuffer(bytearray(text.encode('utf-8')), dtype=torch.uint8).clone()

    @staticmethod
    def decode_extra_state(state: Any) -> Dict[str, Any]:
        """The dict that :meth:`get_extra_state` encoded."""
        if isinstance(state, torch.Tensor):
            state = bytes(state.to(torch.uint8).tolist()).decode('utf-8')
        return json.loads(state)

    def set_extra_state(self, state: Any) -> None:
        """Check the stored compression settings and restore the checkpoint's hook placement
        where it differs from the constructed one (before the hook tensors load)."""
        try:
            stored = self.decode_extra_state(state)
            config = stored['nncf']
        except (TypeError, ValueError, KeyError) as e:
            raise ValueError(f'Unreadable compression state in the checkpoint: {e}') from e
        if stored.get('compress', self.compress) != self.compress:
            raise ValueError(
                f'The checkpoint compresses {stored.get("compress")!r} but the config '
                f'compresses {self.compress!r}'
            )
        if same_structure(config, self._structure):
            return
        print_log(
            'The checkpoint places other compression hooks than this config '
            f'({len(config["compression_state"])} vs '
            f"{len(self._structure['compression_state'])}); restoring the checkpoint's",
            logger='current',
            level=30,
        )
        target = self.compressed_module
        remove_compression(target)
        restore_compression(target, config)
        self._structure = config

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        """Load the wrapper's own checkpoints and, for ``load_from`` the fp32 model to compress,
        checkpoints of the bare architecture: their keys load under ``architecture.`` (see
        :func:`~facerec.models.wrapped_model.adopt_wrapped_checkpoint`), and the compression
        state they lack keeps this model's placement, marked uncalibrated."""
        if adopt_wrapped_checkpoint(state_dict, prefix, 'architecture'):
            self.compression_initialized.fill_(False)
            self.sparsity_level.fill_(0.0)
            arch_prefix = f'{prefix}architecture.'
            for key, value in self.state_dict(prefix=prefix).items():
                if is_hook_key(key) or not key.startswith(arch_prefix):
                    state_dict.setdefault(key, value)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    # ------------------------------------------------------------------ forward
    def train(self, mode: bool = True) -> 'BaseCompressedModel':
        """Set the training mode; with ``norm_eval`` the compressed part's batch norms stay
        in eval mode."""
        super().train(mode)
        if mode and self.norm_eval:
            for module in self.compressed_module.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()
        return self

    def extract_feat(self, inputs: torch.Tensor) -> Any:
        """The architecture's ``extract_feat`` through the compressed sub-module.

        When traced for export, the fake quantizers are set to appear as ONNX
        QuantizeLinear/DequantizeLinear pairs under ``torch.onnx.export`` and as
        ``torch.fake_quantize_*`` ops (OpenVINO ``FakeQuantize``) under any other tracer.
        """
        if self.training:
            self._check_calibrated()  # e.g. a distiller training this model as its student
        if torch.jit.is_tracing():
            set_quantizer_export_mode(self.compressed_module, torch.onnx.is_in_onnx_export())
        return self.architecture.extract_feat(inputs)

    def forward(
        self, inputs: torch.Tensor, data_samples: Optional[list] = None, mode: str = 'tensor'
    ):
        """Run the architecture in ``mode`` (``'loss'``, ``'predict'`` or ``'tensor'``)."""
        if mode == 'tensor':
            return self.extract_feat(inputs)
        self._check_calibrated()
        return self.architecture(inputs, data_samples, mode)

    def _check_calibrated(self) -> None:
        if not self.is_initialized:
            raise RuntimeError(
                'The compressed model holds no calibrated state: load a compressed checkpoint, '
                'or add CompressionHook to custom_hooks to calibrate it on the training data'
            )

    # ------------------------------------------------------------------ reporting
    def compression_summary(self) -> Dict[str, float]:
        """Quantizer count and sparsity reached, for logs."""
        target = self.compressed_module
        stats = sparsity_statistics(target)
        stats['num_quantizers'] = float(sum(1 for _ in iter_quantizers(target)))
        return stats


def find_compressed_model(model: nn.Module) -> Optional['BaseCompressedModel']:
    """The compressed model in ``model``: ``model`` itself or a module inside it (the
    student of a distiller), or None."""
    return next((m for m in model.modules() if isinstance(m, BaseCompressedModel)), None)
