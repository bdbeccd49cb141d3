"""The runner of facerec: mmengine's Runner with safe checkpoint loading and CPU DDP."""

import contextlib
import os
import subprocess
from typing import Dict, Iterator, Optional, Union

import torch
import torch.distributed as torch_dist
from mmengine.dist import is_distributed, is_main_process
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from facerec.fileio import remove_stale_temp_files  # also registers the 'atomic_local' backend
from facerec.registry import MODEL_WRAPPERS, RUNNERS
from facerec.utils.process import workers_die_with_parent

from .checkpoint_loading import (
    check_backbone_weights,
    check_resume_meta,
    checkpoint_state_dict,
    latest_checkpoint,
    load_for_inference,
    load_weights,
    trusted_checkpoint_loading,
)


@RUNNERS.register_module()
class FaceRunner(Runner):
    """:class:`mmengine.runner.Runner` with these changes.

    - Checkpoints are loaded weights-only (``load_from``, testing and
      resuming, which restores the optimiser/scheduler state the checkpoint
      holds as plain data). ``unsafe_resume = True`` (set by
      ``tools/train.py --unsafe-resume``) resumes with full unpickling.
      The python config text that old checkpoints keep in ``meta['config']``
      is dropped (mmengine's resume would execute it).
    - Resuming from the work dir (``resume=True`` without ``load_from``)
      refuses an empty ``last_checkpoint`` file or one naming a missing file.
    - A checkpoint that does not fit the model is refused with the file and
      the keys named: one with none of the model's weights always; for
      testing and validation, one lacking a weight inference needs or with
      a shape that differs (fine-tuning may still drop a head).
    - Distributed training without CUDA uses the gloo backend and a DDP
      wrapper without device ids, so ``torchrun ... --launcher pytorch``
      works on CPU machines; with CUDA nothing changes (nccl).
    - Training starts by deleting the temporary files that checkpoint saves
      of a killed run left in the work dir (``.epoch_3.pth.<random>.tmp``).
    - DataLoader workers die with the process that started them, even when
      it is killed (see :func:`facerec.utils.workers_die_with_parent`).
    """

    #: Resume with full unpickling (only for a checkpoint the user trusts).
    unsafe_resume: bool = False

    def __init__(self, *args, **kwargs):
        self._load_for_inference = False
        self._resuming = False
        super().__init__(*args, **kwargs)
        if self.distributed:
            self.logger.info(
                f'Distributed backend: {torch_dist.get_backend()}, world size: {self.world_size}'
            )

    def resume(self, filename: str, *args, **kwargs) -> None:
        self._resuming = True
        try:
            with trusted_checkpoint_loading() if self.unsafe_resume else contextlib.nullcontext():
                super().resume(filename, *args, **kwargs)
        finally:
            self._resuming = False

    def load_or_resume(self) -> None:
        if not self._has_loaded and self._resume and self._load_from is None:
            latest = latest_checkpoint(self.work_dir)
            if latest is not None:
                self.logger.info(f'Resuming from the latest checkpoint {latest}')
                self._load_from = latest
        super().load_or_resume()

    def load_checkpoint(
        self,
        filename: str,
        map_location='cpu',
        strict: bool = False,
        revise_keys: list = [(r'^module.', '')],  # noqa: B006 (mmengine's signature)
    ) -> dict:
        """Load weights from ``filename`` into the model (see the class notes on checks)."""
        checkpoint = _load_checkpoint(filename, map_location=map_location)
        meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
        if isinstance(meta, dict) and meta.pop('config', None) is not None:
            self.logger.warning(
                f"Ignoring meta['config'] of checkpoint {filename}: python config text, "
                'which resuming would execute'
            )
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        state = checkpoint_state_dict(checkpoint, filename, revise_keys)
        if self._resuming:
            check_resume_meta(meta, filename)
        if self._load_for_inference and not strict:
            load_for_inference(model, state, filename)
        else:
            check_backbone_weights(model, state, filename)
            load_weights(model, state, filename, strict)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    @contextlib.contextmanager
    def _loading_for_inference(self) -> Iterator[None]:
        self._load_for_inference = True
        try:
            yield
        finally:
            self._load_for_inference = False

    def train(self) -> torch.nn.Module:
        if is_main_process():
            removed = remove_stale_temp_files(self.work_dir)
            if removed:
                self.logger.warning(
                    f'Removed {len(removed)} temporary file(s) of interrupted checkpoint '
                    f'saves: {", ".join(removed)}'
                )
        return super().train()

    def test(self) -> dict:
        with self._loading_for_inference():
            return super().test()

    def val(self) -> dict:
        with self._loading_for_inference():
            return super().val()

    @staticmethod
    def build_dataloader(dataloader, seed: Optional[int] = None, diff_rank_seed: bool = False):
        """mmengine's DataLoader, with :func:`~facerec.datasets.face_collate` as the default
        ``collate_fn`` and workers that exit with the main process."""
        if isinstance(dataloader, dict) and 'collate_fn' not in dataloader:
            from facerec.datasets.collate import face_collate

            dataloader = {**dataloader, 'collate_fn': dict(type=face_collate)}
        loader = Runner.build_dataloader(dataloader, seed=seed, diff_rank_seed=diff_rank_seed)
        if isinstance(loader, DataLoader) and loader.num_workers > 0:
            loader.worker_init_fn = workers_die_with_parent(loader.worker_init_fn)
        return loader

    @staticmethod
    def _use_cpu_dist() -> bool:
        return not torch.cuda.is_available()

    def setup_env(self, env_cfg: Dict) -> None:
        if self._launcher != 'none' and not is_distributed() and self._use_cpu_dist():
            dist_cfg = dict(env_cfg.get('dist_cfg', {}))
            dist_cfg['backend'] = 'gloo'
            init_cpu_dist(self._launcher, **dist_cfg)
        super().setup_env(env_cfg)

    def wrap_model(
        self, model_wrapper_cfg: Optional[Dict], model: torch.nn.Module
    ) -> Union[DistributedDataParallel, torch.nn.Module]:
        if self.distributed and self._use_cpu_dist():
            if model_wrapper_cfg is None:
                model_wrapper_cfg = dict(
                    type='MMDistributedDataParallel',
                    broadcast_buffers=False,
                    find_unused_parameters=self.cfg.get('find_unused_parameters', False),
                )
            model_wrapper_cfg = dict(model_wrapper_cfg)
            wrapper = MODEL_WRAPPERS.get(model_wrapper_cfg.get('type', 'MMDistributedDataParallel'))
            if isinstance(wrapper, type) and issubclass(wrapper, DistributedDataParallel):
                model_wrapper_cfg.setdefault('device_ids', None)
        return super().wrap_model(model_wrapper_cfg, model)


def init_cpu_dist(launcher: str, backend: str = 'gloo', **kwargs) -> None:
    """Initialise a CPU process group for the ``pytorch`` or ``slurm`` launcher.

    Args:
        launcher: ``'pytorch'`` (torchrun sets RANK, WORLD_SIZE, MASTER_ADDR,
            MASTER_PORT) or ``'slurm'`` (derived from the SLURM variables).
        backend: The torch.distributed backend.
        **kwargs: Passed to ``torch.distributed.init_process_group``.
    """
    if launcher == 'slurm':
        os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
        os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
        os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', '0'))
        if 'MASTER_ADDR' not in os.environ:
            nodes = os.environ['SLURM_NODELIST']
            first = subprocess.getoutput(f'scontrol show hostname {nodes} | head -n1')
            os.environ['MASTER_ADDR'] = first
        os.environ.setdefault('MASTER_PORT', '29500')
    elif launcher != 'pytorch':
        raise ValueError(f'Unsupported launcher for CPU training: {launcher!r}')
    torch_dist.init_process_group(
        backend=backend,
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        **kwargs,
    )
