"""Build a config's model and load trained weights into it, weights-only, for inference."""

from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:  # torch is imported when used: the tools set OpenMP up before that
    import torch.nn as nn


def load_weights_only(model: 'nn.Module', checkpoint: str) -> 'nn.Module':
    """Load the weights of a checkpoint into ``model`` (strict), unpickling weights only.

    The file is read with ``torch.load(..., weights_only=True)`` allowing only the plain-data
    classes mmengine writes into its checkpoints
    (:func:`~facerec.engine.runners.load_local_checkpoint`); a ``module.`` prefix (a model
    saved inside a DataParallel wrapper) is dropped.

    Raises:
        FileNotFoundError: No such file.
        RuntimeError: The file is not a torch checkpoint, or its weights do not fit the model
            (the message names the file and the first keys of each kind).
        pickle.UnpicklingError: The file holds objects a weights-only load refuses.
    """
    from mmengine.runner.checkpoint import load_state_dict

    from facerec.engine.runners.checkpoint_loading import (
        checkpoint_state_dict,
        load_local_checkpoint,
    )

    raw = load_local_checkpoint(checkpoint, map_location='cpu')
    try:
        state = checkpoint_state_dict(raw, checkpoint, revise_keys=[(r'^module\.', '')])
        load_state_dict(model, state, strict=True, logger='silent')
    except (RuntimeError, TypeError, ValueError) as err:
        raise RuntimeError(
            f'Checkpoint {checkpoint} does not fit the model of the config '
            f'({type(model).__name__}): {_shorten_key_lists(str(err))}'
        ) from None
    return model


def build_model(cfg: Any, checkpoint: Optional[str] = None) -> 'nn.Module':
    """Build ``cfg.model`` and load a checkpoint into it (:func:`load_weights_only`), in eval mode.

    Args:
        cfg: A config (or dict) with a ``model`` entry.
        checkpoint: The ``.pth`` file; None keeps the initial weights.
    """
    from facerec.registry import MODELS

    from .setup_env import register_all_modules

    register_all_modules()
    model = MODELS.build(cfg['model'])
    if checkpoint is not None:
        load_weights_only(model, checkpoint)
    return model.eval()


def _shorten_key_lists(message: str, keep: int = 5) -> str:
    """Cut a state-dict loading error to the first few keys of each kind and counts."""
    kept, extra = [], 0
    for line in message.strip().splitlines():
        line = line.strip()
        if not line:
            continue
        head, sep, keys = line.partition(': ')
        if sep and ('missing keys' in head or 'unexpected key' in head):
            names = [k for k in keys.split(', ') if k]
            if len(names) > keep:
                line = f'{head}: {", ".join(names[:keep])} and {len(names) - keep} more'
        elif (
            line.startswith('size mismatch')
            and sum(x.startswith('size mismatch') for x in kept) >= 2
        ):
            extra += 1
            continue
        kept.append(line)
    if extra:
        kept.append(f'and {extra} more size mismatches')
    return '; '.join(kept)
