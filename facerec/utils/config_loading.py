"""Loading a config the way the command-line tools do."""

import argparse
import ast
import os.path as osp
import re
from typing import Optional, Set

from mmengine.config import Config

from facerec.fileio import safe_load_yaml  # also makes mmengine read yaml safely

from .config_options import add_cfg_options_args, check_cfg_options

_TEMPLATE = re.compile(r'\{\{.*?\}\}')


def check_config_files(path: str, _seen: Optional[Set[str]] = None) -> None:
    """Check a config file and its ``_base_`` files before mmengine reads them.

    Python files must parse and yaml files must hold plain data only (mmengine's
    ``{{ ... }}`` substitutions are left to mmengine). Missing files are left to mmengine.

    Raises:
        SyntaxError: A python config does not parse (the error names the file and line).
        ValueError: A yaml config is not yaml or holds a python tag (named file and line).
    """
    path = osp.abspath(osp.expanduser(path))
    seen = set() if _seen is None else _seen
    if path in seen or not osp.isfile(path):
        return
    seen.add(path)
    with open(path, encoding='utf-8') as f:
        text = f.read()
    if path.endswith('.py'):
        try:
            ast.parse(text, filename=path)
        except SyntaxError as e:
            raise SyntaxError(f'Config file {path}, line {e.lineno}: {e.msg}') from None
        bases = Config._get_base_files(path)
    elif path.endswith(('.yml', '.yaml')):
        data = safe_load_yaml(_TEMPLATE.sub('_', text), path)
        bases = data.get('_base_', []) if isinstance(data, dict) else []
    else:
        return
    for base in bases if isinstance(bases, list) else [bases]:
        if isinstance(base, str) and '::' not in base:
            check_config_files(osp.join(osp.dirname(path), base), seen)


def load_config(
    path: str,
    cfg_options: Optional[dict] = None,
    work_dir: Optional[str] = None,
    launcher: str = 'none',
    allow_new_keys: bool = False,
) -> Config:
    """Read a ``.py``/``.yml``/``.yaml`` config and apply the command-line overrides.

    yaml configs (and yaml base files) are read as plain data: a python tag is refused.

    Args:
        path: The config file.
        cfg_options: ``key=value`` overrides (dotted keys), merged last.
        work_dir: Overrides ``cfg.work_dir``; without either, the work dir is
            ``./work_dirs/<config name>``.
        launcher: The job launcher (``none``, ``pytorch`` or ``slurm``).
        allow_new_keys: Let ``cfg_options`` add keys that the config does not define
            (otherwise they are an error naming the closest existing keys).

    Returns:
        The merged config.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Config file not found: {path}')
    check_config_files(path)
    cfg = Config.fromfile(path)
    cfg.launcher = launcher
    if cfg_options:
        if not allow_new_keys:
            check_cfg_options(cfg.to_dict(), cfg_options)
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(path))[0])
    return cfg


def add_config_args(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the options every tool shares: ``--work-dir``, ``--cfg-options``,
    ``--cfg-new-keys``, ``--launcher``."""
    parser.add_argument('--work-dir', help='folder for logs and checkpoints')
    add_cfg_options_args(parser)
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm'], default='none', help='job launcher'
    )
    parser.add_argument('--local-rank', '--local_rank', type=int, default=0)
    return parser
