"""Building a dataset pipeline from the facerec registry."""

from typing import Callable, List, Sequence, Union

from facerec.registry import TRANSFORMS


def build_pipeline(pipeline: Sequence[Union[dict, Callable]]) -> List[Callable]:
    """Build transform configs with facerec's TRANSFORMS, whatever the default scope.

    mmengine's ``BaseDataset`` builds its pipeline from the registry of the
    current default scope; datasets created outside a runner (scripts, tests)
    have none, so they build here and hand ready callables to the base class.
    """
    return [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline or []]
