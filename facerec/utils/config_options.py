"""``--cfg-options``: parsing ``key=value`` pairs and refusing keys the config does not have."""

import argparse
import difflib
from typing import Iterable, Mapping

from mmengine.config import DictAction


class ConfigOptionsAction(DictAction):
    """mmengine's ``DictAction`` that names an option without ``=`` instead of failing on it."""

    def __call__(self, parser, namespace, values, option_string=None):
        for kv in values:
            if '=' not in kv:
                parser.error(
                    f'{option_string} {kv!r}: expected key=value, e.g. train_cfg.max_epochs=2'
                )
        super().__call__(parser, namespace, values, option_string)


def _missing_key_message(key: str, prefix: str, part: str, node) -> str:
    where = prefix or 'the config'
    if isinstance(node, (list, tuple)):
        return (
            f'--cfg-options {key}: {where} is a list of {len(node)} items; {part!r} is not '
            'an index of it'
        )
    if not isinstance(node, Mapping):
        return f'--cfg-options {key}: {where} is {node!r:.60} ({type(node).__name__}), not a dict'
    keys = [str(k) for k in node]
    close = difflib.get_close_matches(part, keys, n=3, cutoff=0.6)
    if close:
        hint = 'closest existing keys: ' + ', '.join(
            f'{prefix}.{k}' if prefix else k for k in close
        )
    else:
        more = f' and {len(keys) - 8} more' if len(keys) > 8 else ''
        hint = f'none similar; keys there: {", ".join(sorted(keys)[:8])}{more}'
    where = f'under {prefix}' if prefix else 'at the top level'
    return (
        f'--cfg-options {key}: the config has no key {part!r} {where} ({hint}); pass '
        '--cfg-new-keys to add new keys on purpose'
    )


def check_cfg_options(cfg: Mapping, keys: Iterable[str]) -> None:
    """Refuse dotted ``--cfg-options`` keys that the config does not define.

    Every part of a key must exist: a dict key, or an index of a list (``param_scheduler.1.end``).

    Args:
        cfg: The loaded config (its dict).
        keys: The dotted keys of the overrides.

    Raises:
        KeyError: A key is not in the config; the message names it and the closest existing
            keys at the level where it is missing.
    """
    for key in keys:
        node = cfg
        parts = str(key).split('.')
        for i, part in enumerate(parts):
            if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, Mapping) and part in node:
                node = node[part]
            else:
                raise KeyError(_missing_key_message(key, '.'.join(parts[:i]), part, node))


def add_cfg_options_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--cfg-options`` and ``--cfg-new-keys``."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=ConfigOptionsAction,
        metavar='KEY=VALUE',
        help='override config values, e.g. train_cfg.max_epochs=2 model.head.m=0.3; a key the '
        'config does not define is an error (see --cfg-new-keys)',
    )
    parser.add_argument(
        '--cfg-new-keys',
        action='store_true',
        help='let --cfg-options add keys that the config does not define',
    )
