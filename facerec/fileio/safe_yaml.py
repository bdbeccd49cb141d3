"""Reading yaml as plain data only, for configs and for every ``mmengine.load`` of yaml.

mmengine reads yaml with PyYAML's full loader, which builds any python object a tag names
(``!!python/object/apply:os.system [...]`` runs a command). Importing this module registers a
handler for ``.yml``/``.yaml`` that uses :class:`SafeConfigLoader` instead.
"""

from typing import Any

import yaml
from mmengine.fileio import YamlHandler, register_handler


class SafeConfigLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that also reads ``!!python/tuple``: a tuple of plain values, as
    mmengine writes tuples when it dumps a config to yaml. Any other python tag is refused."""


def _construct_tuple(loader: SafeConfigLoader, node: yaml.SequenceNode) -> tuple:
    return tuple(loader.construct_sequence(node, deep=True))


SafeConfigLoader.add_constructor('tag:yaml.org,2002:python/tuple', _construct_tuple)


def safe_load_yaml(text: str, name: str) -> Any:
    """Parse yaml text as plain data.

    Args:
        text: The yaml text.
        name: The file the text comes from, named in the errors.

    Raises:
        ValueError: The text is not yaml, or holds a tag that is not plain data; the message
            names the file and the line.
    """
    loader = SafeConfigLoader(text)
    try:
        return loader.get_single_data()
    except yaml.constructor.ConstructorError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else '?'
        raise ValueError(
            f'Refusing yaml file {name}, line {line}: {e.problem}; yaml files are read '
            'as plain data only (no python tags)'
        ) from None
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else '?'
        raise ValueError(f'Cannot parse yaml file {name}, line {line}: {e.problem}') from None
    finally:
        loader.dispose()


@register_handler(['yaml', 'yml'])
class SafeYamlHandler(YamlHandler):
    """mmengine's yaml handler, loading with :class:`SafeConfigLoader` whatever the caller
    asks for (dumping is unchanged)."""

    def load_from_fileobj(self, file, **kwargs):
        return safe_load_yaml(file.read(), getattr(file, 'name', '<yaml stream>'))
