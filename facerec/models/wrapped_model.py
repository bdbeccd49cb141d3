"""Models built around another model (compression wrappers, distillers): building the wrapped
model, the parts they show of it, and loading a checkpoint of the wrapped model alone."""

from typing import Dict, Optional, Tuple, Union

import torch.nn as nn

from facerec.registry import MODELS


def build_wrapped_model(
    model: Union[dict, nn.Module],
    data_preprocessor: Optional[Union[dict, nn.Module]],
    role: str,
) -> Tuple[nn.Module, Optional[nn.Module]]:
    """The wrapped model and the wrapper's data preprocessor, built from their configs.

    Args:
        model: Config or module of the wrapped model (it must have ``extract_feat``).
        data_preprocessor: Config or module of the wrapper's data preprocessor; None takes the
            wrapped model's (the same module).
        role: The wrapper's argument that holds ``model``, for messages.

    Returns:
        tuple: ``(model, data_preprocessor)``.

    Raises:
        TypeError: ``model`` is not a model with ``extract_feat``.
    """
    if isinstance(model, dict):
        model = MODELS.build(model)
    if not isinstance(model, nn.Module) or not callable(getattr(model, 'extract_feat', None)):
        raise TypeError(
            f'{role} must be a model config or module with extract_feat, got {type(model).__name__}'
        )
    if data_preprocessor is None:
        data_preprocessor = getattr(model, 'data_preprocessor', None)
    if isinstance(data_preprocessor, dict):
        data_preprocessor = MODELS.build(data_preprocessor)
    return model, data_preprocessor


def adopt_wrapped_checkpoint(state_dict: Dict[str, object], prefix: str, name: str) -> bool:
    """Give a checkpoint of the wrapped model alone the wrapper's key layout, in place.

    A wrapper keeps the wrapped model as its sub-module ``name``, so the wrapper's own
    checkpoints hold the wrapped model's keys under ``name.``. A state dict with keys under
    ``prefix`` but none under ``prefix + name + '.'`` is a checkpoint of the bare wrapped model
    (``load_from`` the fp32 recogniser to compress or to distil into): all its keys move under
    ``name.``, as ``revise_keys=[(r'^', name + '.')]`` would. Wrappers call this first thing
    in their ``_load_from_state_dict``; it is the only place where checkpoint keys are
    translated for them.

    Args:
        state_dict: The state dict being loaded (changed in place).
        prefix: The wrapper's prefix in it (``''`` for the top-level model).
        name: The wrapper's attribute that holds the wrapped model.

    Returns:
        bool: Whether the state dict was a bare checkpoint (and was translated).
    """
    ours = [key for key in state_dict if key.startswith(prefix)]
    if not ours or any(key.startswith(f'{prefix}{name}.') for key in ours):
        return False
    for key in ours:
        state_dict[f'{prefix}{name}.{key[len(prefix) :]}'] = state_dict.pop(key)
    return True


class WrappedModelParts:
    """Mixin of a wrapper model: the ``backbone``, ``head`` and training-only modules of the
    model it holds as the sub-module named by ``wrapped_name``."""

    wrapped_name = 'architecture'

    @property
    def backbone(self) -> nn.Module:
        """The wrapped model's backbone."""
        return getattr(self, self.wrapped_name).backbone

    @property
    def head(self) -> Optional[nn.Module]:
        """The wrapped model's head, if it has one."""
        return getattr(getattr(self, self.wrapped_name), 'head', None)

    @property
    def with_head(self) -> bool:
        return self.head is not None

    @property
    def training_only_modules(self) -> Tuple[str, ...]:
        """The wrapped model's training-only sub-modules, under its name."""
        names = getattr(getattr(self, self.wrapped_name), 'training_only_modules', ())
        return tuple(f'{self.wrapped_name}.{name}' for name in names)
