"""A local file backend whose writes are atomic."""

import os
import os.path as osp
import re
import tempfile
from pathlib import Path
from typing import List, Union

from mmengine.fileio import LocalBackend, register_backend

#: Name of a temporary file of :func:`atomic_write`: ``.<target name>.<8 random chars>.tmp``
#: (the random part is :func:`tempfile.mkstemp`'s).
TEMP_NAME = re.compile(r'\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp')


def atomic_write(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` so readers see the old file or the new, never half.

    The bytes go to a temporary file in the same folder, are flushed to disk,
    and the temporary file is renamed over the target. A process killed while
    writing leaves the temporary file (see :func:`remove_stale_temp_files`).
    """
    filepath = str(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(filepath)}.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def remove_stale_temp_files(folder: Union[str, Path]) -> List[str]:
    """Delete the temporary files that :func:`atomic_write` calls killed midway left in ``folder``.

    Only files named as :data:`TEMP_NAME` describes are removed (not sub-folders); call it
    when no other process is writing to ``folder``, e.g. when a run starts in its work dir.

    Returns:
        The paths removed.
    """
    if not osp.isdir(folder):
        return []
    removed = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if TEMP_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                os.remove(entry.path)
                removed.append(entry.path)
    return sorted(removed)


@register_backend('atomic_local', force=True)
class AtomicLocalBackend(LocalBackend):
    """:class:`mmengine.fileio.LocalBackend` with atomic ``put`` and ``put_text``.

    Use it for checkpoints (``CheckpointHook(backend_args=dict(backend='atomic_local'))``)
    so a run killed while saving leaves the previous checkpoint intact.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        atomic_write(obj.encode(encoding), filepath)
