"""Magnitude sparsity: the smallest weights of the backbone masked out, raised on a schedule."""

import copy
from typing import Any, Dict, List, Optional, Union

import torch
import torch.nn as nn

from facerec.registry import MODELS

from .base_compressed_model import BaseCompressedModel, CompressionStep
from .nncf_utils import build_ignored_scope
from .sparsity_schedule import SparsitySchedule

#: Defaults of ``MagnitudeSparsity(sparsity=...)``: the reference schedule, 1% of the weights
#: masked at the start and 52% after ``steps`` epochs, then training at 52%.
DEFAULT_SPARSITY: Dict[str, Any] = dict(
    init=0.01,
    target=0.52,
    steps=10,
    schedule='exponential',
    power=3.0,
    milestones=None,
    levels=None,
    by_epoch=True,
    interval=1,
    mode='global',
    bn_adaptation_batches=10,
    ignored_scope=None,
)
MODES = ('global', 'local')


class SparsityStep(CompressionStep):
    """:func:`nncf.prune` (unstructured magnitude masks) with the settings of a ``sparsity``
    config, followed by batch-norm adaptation.

    Keys (defaults in :data:`DEFAULT_SPARSITY`):

    - ``init``, ``target``, ``steps``, ``schedule``, ``power``, ``milestones``, ``levels``: the
      :class:`~facerec.models.compression.sparsity_schedule.SparsitySchedule`;
    - ``by_epoch``: a schedule step is an epoch (True) or an iteration (False);
    - ``interval``: with ``by_epoch=False``, masks are recomputed every ``interval`` iterations;
    - ``mode``: ``'global'`` (one threshold over all layers, on weights normalised by each
      layer's L2 norm) or ``'local'`` (the same fraction in every layer);
    - ``bn_adaptation_batches``: training batches that re-estimate the batch-norm statistics
      after the initial masks (0: none);
    - ``ignored_scope``: ``dict(names=..., patterns=..., types=...)`` of NNCF node names.
    """

    name = 'sparsity'

    def __init__(self, cfg: Optional[dict] = None) -> None:
        cfg = copy.deepcopy(dict(cfg or {}))
        unknown = sorted(set(cfg) - set(DEFAULT_SPARSITY))
        if unknown:
            raise KeyError(f'Unknown sparsity keys {unknown}; allowed: {sorted(DEFAULT_SPARSITY)}')
        merged = copy.deepcopy(DEFAULT_SPARSITY)
        merged.update(cfg)
        if merged['mode'] not in MODES:
            raise ValueError(f'sparsity.mode must be one of {MODES}, got {merged["mode"]!r}')
        if int(merged['interval']) < 1 or int(merged['bn_adaptation_batches']) < 0:
            raise ValueError('sparsity.interval must be >= 1 and bn_adaptation_batches >= 0')
        self.cfg = merged
        self.schedule = SparsitySchedule(
            init=merged['init'],
            target=merged['target'],
            steps=merged['steps'],
            schedule=merged['schedule'],
            power=merged['power'],
            milestones=merged['milestones'],
            levels=merged['levels'],
        )

    @property
    def bn_adaptation_batches(self) -> int:
        return int(self.cfg['bn_adaptation_batches'])

    @property
    def calibration_batches(self) -> int:
        return max(1, self.bn_adaptation_batches)

    @property
    def by_epoch(self) -> bool:
        return bool(self.cfg['by_epoch'])

    @property
    def interval(self) -> int:
        return int(self.cfg['interval'])

    @property
    def prune_mode(self):
        import nncf

        if self.cfg['mode'] == 'global':
            return nncf.PruneMode.UNSTRUCTURED_MAGNITUDE_GLOBAL
        return nncf.PruneMode.UNSTRUCTURED_MAGNITUDE_LOCAL

    def to_dict(self) -> Dict[str, Any]:
        return dict(name=self.name, **copy.deepcopy(self.cfg))

    def apply(
        self, module: nn.Module, batches: List[torch.Tensor], calibrate: bool, refine: bool = True
    ) -> nn.Module:
        import nncf

        module = nncf.prune(
            module,
            mode=self.prune_mode,
            ratio=self.schedule(0),
            ignored_scope=build_ignored_scope(self.cfg['ignored_scope']),
            examples_inputs=batches[0],
        )
        if calibrate and self.bn_adaptation_batches > 0:
            nncf.batch_norm_adaptation(
                module,
                calibration_dataset=nncf.Dataset(batches[: self.bn_adaptation_batches]),
                num_iterations=self.bn_adaptation_batches,
            )
        return module

    @torch.no_grad()
    def set_level(self, module: nn.Module, level: float) -> None:
        """Recompute the masks of ``module`` for the sparsity ``level``."""
        from nncf.torch.function_hook.pruning.magnitude.algo import update_pruning_ratio

        if not 0.0 <= level < 1.0:
            raise ValueError(f'sparsity level must be in [0, 1), got {level}')
        update_pruning_ratio(module, mode=self.prune_mode, ratio=float(level))


@MODELS.register_module()
class MagnitudeSparsity(BaseCompressedModel):
    """Magnitude sparsity of an architecture's backbone.

    The weights of every convolution and linear layer of the backbone get a binary mask that
    zeroes the smallest ones (by magnitude, one threshold for the network with
    ``mode='global'``). The masks start at ``sparsity.init`` of the weights, followed by
    batch-norm adaptation; ``CompressionHook`` raises the level along the schedule to
    ``sparsity.target`` while the normal training loop fine-tunes the remaining weights.

    Example::

        model = dict(
            type='MagnitudeSparsity',
            architecture=dict(type='FaceRecognizer', backbone=..., head=...),
            sparsity=dict(init=0.01, target=0.52, steps=5, schedule='exponential'),
        )

    Args:
        architecture: The model to compress (config or module).
        sparsity: Settings, see :class:`SparsityStep`.
        **kwargs: ``compress``, ``example_input_shape``, ``norm_eval``, ``data_preprocessor``
            and ``init_cfg`` of :class:`~.base_compressed_model.BaseCompressedModel`.
    """

    def __init__(
        self, architecture: Union[dict, nn.Module], sparsity: Optional[dict] = None, **kwargs
    ) -> None:
        super().__init__(architecture, [SparsityStep(sparsity)], **kwargs)
