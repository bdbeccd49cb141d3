"""Mixed precision for machines without a GPU."""

from contextlib import contextmanager
from typing import Optional

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from facerec.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """An optimizer wrapper whose forward passes run under ``torch.autocast``.

    mmengine's ``AmpOptimWrapper`` needs a GPU; this one also runs on CPU,
    where bfloat16 autocast needs no loss scaling.

    Args:
        device_type: ``'cpu'`` or ``'cuda'``; None picks CUDA when available.
        dtype: ``'bfloat16'`` or ``'float16'``.
        **kwargs: Passed to :class:`mmengine.optim.OptimWrapper`.
    """

    def __init__(self, device_type: Optional[str] = None, dtype: str = 'bfloat16', **kwargs):
        super().__init__(**kwargs)
        if dtype not in ('bfloat16', 'float16'):
            raise ValueError(f"dtype must be 'bfloat16' or 'float16', got {dtype!r}")
        self.device_type = device_type or ('cuda' if torch.cuda.is_available() else 'cpu')
        self.cast_dtype = getattr(torch, dtype)

    @contextmanager
    def optim_context(self, model: nn.Module):
        with super().optim_context(model):
            with torch.autocast(device_type=self.device_type, dtype=self.cast_dtype):
                yield
