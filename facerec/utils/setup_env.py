"""Registration of all facerec modules and the default scope."""

import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every facerec component so its registry knows it.

    Registries also import their ``locations`` lazily; calling this makes the
    registration explicit (useful in scripts and notebooks).

    Args:
        init_default_scope: Make ``'facerec'`` the current default scope.
    """
    import facerec.apis.detectors  # noqa: F401
    import facerec.datasets  # noqa: F401
    import facerec.engine  # noqa: F401
    import facerec.evaluation  # noqa: F401
    import facerec.fileio  # noqa: F401
    import facerec.models  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('facerec', scope_name='facerec')
    elif current.scope_name != 'facerec':
        warnings.warn(
            f'The current default scope "{current.scope_name}" is not "facerec"; '
            'switching to a new "facerec" scope',
            stacklevel=2,
        )
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S-%f')
        DefaultScope.get_instance(f'facerec-{stamp}', scope_name='facerec')
