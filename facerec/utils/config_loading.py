"""Loading a config the way the command-line tools do."""

import argparse
import os.path as osp
from typing import Optional

from mmengine.config import Config, DictAction


def load_config(
    path: str,
    cfg_options: Optional[dict] = None,
    work_dir: Optional[str] = None,
    launcher: str = 'none',
) -> Config:
    """Read a ``.py``/``.yml``/``.yaml`` config and apply the command-line overrides.

    Args:
        path: The config file.
        cfg_options: ``key=value`` overrides (dotted keys), merged last.
        work_dir: Overrides ``cfg.work_dir``; without either, the work dir is
            ``./work_dirs/<config name>``.
        launcher: The job launcher (``none``, ``pytorch`` or ``slurm``).

    Returns:
        The merged config.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Config file not found: {path}')
    cfg = Config.fromfile(path)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(path))[0])
    return cfg


def add_config_args(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the options every tool shares: ``--work-dir``, ``--cfg-options``, ``--launcher``."""
    parser.add_argument('--work-dir', help='folder for logs and checkpoints')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config values, e.g. train_cfg.max_epochs=2 model.head.m=0.3',
    )
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm'], default='none', help='job launcher'
    )
    parser.add_argument('--local-rank', '--local_rank', type=int, default=0)
    return parser
