"""Batching for DataLoaders: one tensor for the images, data samples sent by value.

mmengine's ``pseudo_collate`` keeps a list of per-image tensors, and each tensor a DataLoader
worker sends (every image and every ``gt_label``) crosses to the main process as its own
shared-memory file, passed over a socket: about half a millisecond of the main process's
time per tensor, which on a small machine is time taken from training. :func:`face_collate`
stacks equal-shaped images into one tensor and, inside a worker, sends the data samples by
value (their small tensors pickled as numpy arrays).
"""

import pickle
from typing import Any, List, Sequence

import torch
from mmengine.dataset import pseudo_collate
from torch.utils.data import get_worker_info

from facerec.registry import FUNCTIONS

#: Tensors up to this size travel inside the pickled data samples; larger ones are shared.
BY_VALUE_MAX_BYTES = 1 << 20


def _tensor_from_numpy(array) -> torch.Tensor:
    return torch.from_numpy(array)


class _ByValuePickler(pickle.Pickler):
    """Pickles small CPU tensors as numpy arrays (by value) instead of shared memory."""

    def reducer_override(self, obj: Any):
        if (
            type(obj) is torch.Tensor
            and obj.device.type == 'cpu'
            and obj.layout == torch.strided
            and not obj.requires_grad
            and obj.dtype not in (torch.bfloat16, torch.complex32)
            and obj.element_size() * obj.numel() <= BY_VALUE_MAX_BYTES
        ):
            return _tensor_from_numpy, (obj.numpy(),)
        return NotImplemented


def _dumps(obj: Any) -> bytes:
    import io

    buffer = io.BytesIO()
    _ByValuePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


class SamplesByValue:
    """A list of data samples that pickles by value; it unpickles as the plain list."""

    def __init__(self, samples: List[Any]):
        self.samples = samples

    def __reduce__(self):
        return pickle.loads, (_dumps(self.samples),)


@FUNCTIONS.register_module()
def face_collate(data_batch: Sequence[dict]) -> Any:
    """``pseudo_collate``, with ``inputs`` stacked into one ``(N, C, H, W)`` tensor when the
    images have one shape and dtype, and, inside a DataLoader worker, ``data_samples`` sent
    to the main process by value. The default ``collate_fn`` of :class:`FaceRunner`'s
    DataLoaders; ``FaceDataPreprocessor`` takes the stacked batch like the list."""
    batch = pseudo_collate(data_batch)
    if not isinstance(batch, dict):
        return batch
    inputs = batch.get('inputs')
    if (
        isinstance(inputs, list)
        and inputs
        and all(isinstance(x, torch.Tensor) for x in inputs)
        and len({(tuple(x.shape), x.dtype) for x in inputs}) == 1
    ):
        batch['inputs'] = torch.stack(inputs)
    samples = batch.get('data_samples')
    if isinstance(samples, list) and get_worker_info() is not None:
        batch['data_samples'] = SamplesByValue(samples)
    return batch
