"""A DistributedDataParallel wrapper that leaves row-sharded parameters alone."""

from mmengine.model import MMDistributedDataParallel
from torch.nn.parallel import DistributedDataParallel

from facerec.registry import MODEL_WRAPPERS

from .distributed import sharded_parameter_names


@MODEL_WRAPPERS.register_module()
class ShardedDistributedDataParallel(MMDistributedDataParallel):
    """:class:`MMDistributedDataParallel` that neither broadcasts nor all-reduces the
    parameters marked as row shards (each rank holds different rows, e.g. the centres of
    :class:`~facerec.models.heads.PartialFCHead`).

    Use it with ``model_wrapper_cfg = dict(type='ShardedDistributedDataParallel')``.

    Args:
        module (nn.Module): The model.
        **kwargs: Passed to :class:`MMDistributedDataParallel`.
    """

    def __init__(self, module, **kwargs) -> None:
        DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(
            module, sharded_parameter_names(module)
        )
        super().__init__(module=module, **kwargs)
