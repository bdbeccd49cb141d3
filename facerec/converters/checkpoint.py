"""Writing the checkpoint of a model whose weights were taken in from elsewhere."""

import io
from typing import Iterable, List, Optional

import torch
import torch.nn as nn

from facerec.fileio import atomic_write


def save_converted_checkpoint(
    model: nn.Module, path: str, loaded: Iterable[str], meta: Optional[dict] = None
) -> List[str]:
    """Write ``{'meta': ..., 'state_dict': ...}`` atomically, with the converted weights only.

    Weights of modules that were not converted (a margin head of the config, say) are left
    out, so the checkpoint never carries random weights; ``tools/test.py`` and ``load_from``
    load it weights-only.

    Args:
        model: The model, weights loaded.
        path: The ``.pth`` file to write.
        loaded: Names of the modules (as in ``model.named_modules()``) that were converted.
        meta: Saved as the checkpoint's ``meta`` (source file, converter...).

    Returns:
        The state-dict keys that were left out.
    """
    loaded = set(loaded)
    owners = {
        name: module
        for name, module in model.named_modules()
        if next(module.parameters(recurse=False), None) is not None
        or next(module.buffers(recurse=False), None) is not None
    }
    skipped_modules = {name for name in owners if name not in loaded}
    state, skipped = {}, []
    for key, value in model.state_dict().items():
        if key.rpartition('.')[0] in skipped_modules:
            skipped.append(key)
        else:
            state[key] = value
    buffer = io.BytesIO()
    torch.save({'meta': dict(meta or {}), 'state_dict': state}, buffer)
    atomic_write(buffer.getvalue(), path)
    return skipped
