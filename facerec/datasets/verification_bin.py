"""insightface's verification sets (``lfw.bin``, ``cfp_fp.bin``, ``agedb_30.bin``...).

Such a file is a pickled pair ``(bins, issame_list)``: ``bins`` holds ``2 * P``
encoded images (JPEG bytes, or uint8 numpy arrays of those bytes) and pair
``i`` is images ``2i`` and ``2i + 1``, ``issame_list[i]`` telling whether they
show the same person. The pickle is read with a restricted unpickler that
builds only plain containers, bytes, strings, numbers and numpy arrays.
"""

import builtins
import io
import os.path as osp
import pickle
from typing import Any, Dict, List, Tuple

import numpy as np

from facerec.registry import DATASETS
from facerec.utils.checks import check_positive_int

from .base_dataset import BaseFaceDataset

__all__ = [
    'UnsafePickleError',
    'VerificationBin',
    'contiguous_folds',
    'load_verification_bin',
    'safe_unpickle',
]

#: Builtins a verification file may name: containers, bytes, strings, ints, bools.
_SAFE_BUILTINS = frozenset(
    ('bytes', 'bytearray', 'list', 'tuple', 'dict', 'set', 'frozenset', 'bool', 'int', 'str')
)


def _numpy_globals() -> Dict[Tuple[str, str], Any]:
    """The numpy callables that rebuild arrays, dtypes and scalars, under their pickled names."""
    reconstruct = np.empty(0).__reduce__()[0]
    scalar = np.bool_(True).__reduce__()[0]
    frombuffer = np.empty(1).__reduce_ex__(5)[0]
    allowed: Dict[Tuple[str, str], Any] = {
        ('numpy', 'ndarray'): np.ndarray,
        ('numpy', 'dtype'): np.dtype,
    }
    for package in ('numpy.core', 'numpy._core'):
        allowed[(f'{package}.multiarray', '_reconstruct')] = reconstruct
        allowed[(f'{package}.multiarray', 'scalar')] = scalar
        allowed[(f'{package}.numeric', '_frombuffer')] = frombuffer
    return allowed


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle names something other than plain data; the message names the file."""


class _DataOnlyUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the names of plain data types."""

    def __init__(self, file, path: str):
        super().__init__(file, encoding='latin1')
        self.path = path
        self._numpy = _numpy_globals()

    def find_class(self, module: str, name: str) -> Any:
        if module in ('builtins', '__builtin__') and name in _SAFE_BUILTINS:
            return getattr(builtins, name)
        if (module, name) == ('_codecs', 'encode'):
            # Protocol 0-2 pickles of bytes: encode(latin-1 text, 'latin1').
            return _latin1_encode
        if (module, name) in self._numpy:
            return self._numpy[(module, name)]
        raise UnsafePickleError(
            f'{self.path}: refusing to unpickle {module}.{name}: a verification file may hold '
            'only lists, tuples, dicts, bytes, strings, ints, bools and numpy arrays'
        )

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(f'{self.path}: refusing a persistent id in the pickle')


def _latin1_encode(text: str, encoding: str = 'latin1') -> bytes:
    if encoding.lower().replace('-', '') not in ('latin1', 'iso88591'):
        raise pickle.UnpicklingError(f'unexpected text encoding {encoding!r} for bytes')
    return text.encode('latin1')


def safe_unpickle(path: str) -> Any:
    """Unpickle a data file, refusing any class or function but plain data types.

    Args:
        path: The pickle file.

    Raises:
        FileNotFoundError: The file does not exist.
        UnsafePickleError: The pickle names a class or function outside the
            allowed data types (it is not run); the message names the file.
        ValueError: The file is not a readable pickle.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Verification file not found: {path}')
    with open(path, 'rb') as f:
        data = f.read()
    try:
        return _DataOnlyUnpickler(io.BytesIO(data), path).load()
    except UnsafePickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as e:
        raise ValueError(f'{path}: not a readable pickle ({type(e).__name__}: {e})') from None


def _as_bytes(item: Any, path: str, i: int) -> bytes:
    if isinstance(item, (bytes, bytearray)):
        return bytes(item)
    if isinstance(item, str):  # a Python 2 str, read as latin-1 text
        return item.encode('latin1')
    if isinstance(item, np.ndarray) and item.dtype == np.uint8:
        return item.tobytes()
    what = f'{item.dtype} array' if isinstance(item, np.ndarray) else type(item).__name__
    raise ValueError(f'{path}: image {i} must be encoded bytes or a uint8 array, got a {what}')


def _as_bool(value: Any, path: str, i: int) -> bool:
    if isinstance(value, (bool, np.bool_)) or (
        isinstance(value, (int, np.integer)) and value in (0, 1)
    ):
        return bool(value)
    raise ValueError(f'{path}: issame flag {i} must be a bool, got {value!r}')


def load_verification_bin(path: str) -> Tuple[List[bytes], List[bool]]:
    """Read an insightface verification ``.bin`` file safely.

    Args:
        path: The file.

    Returns:
        The ``2 * P`` encoded images and the ``P`` same-person flags.

    Raises:
        UnsafePickleError: The pickle names anything but plain data types.
        ValueError: The content is not a ``(bins, issame_list)`` pair of
            matching lengths (naming the file).
    """
    obj = safe_unpickle(path)
    if not isinstance(obj, (tuple, list)) or len(obj) != 2:
        raise ValueError(f'{path}: expected a pickled (bins, issame_list) pair, got {type(obj)}')
    bins, issame = obj
    if not isinstance(bins, (list, tuple)):
        raise ValueError(f'{path}: bins must be a list of encoded images, got {type(bins)}')
    if isinstance(issame, np.ndarray) and issame.dtype != object:
        issame = issame.reshape(-1).tolist()
    if not isinstance(issame, (list, tuple)):
        raise ValueError(f'{path}: issame_list must be a list of bools, got {type(issame)}')
    images = [_as_bytes(item, path, i) for i, item in enumerate(bins)]
    flags = [_as_bool(v, path, i) for i, v in enumerate(issame)]
    if not flags:
        raise ValueError(f'{path}: the file holds no pairs')
    if len(images) != 2 * len(flags):
        raise ValueError(
            f'{path}: {len(flags)} pairs need {2 * len(flags)} images, the file has {len(images)}'
        )
    return images, flags


def contiguous_folds(num_pairs: int, num_folds: int) -> np.ndarray:
    """The fold of each pair when the pairs are cut, in order, into ``num_folds`` blocks.

    The cut of insightface's evaluation (``sklearn.model_selection.KFold``
    without shuffling): the first ``num_pairs % num_folds`` blocks hold one
    pair more than the others. With 6000 LFW pairs and 10 folds these are the
    10 blocks of 600 pairs of ``pairs.txt``.
    """
    if not 1 <= num_folds <= num_pairs:
        raise ValueError(f'num_folds must be in 1..{num_pairs} (the pairs), got {num_folds}')
    size, extra = divmod(num_pairs, num_folds)
    sizes = [size + 1 if k < extra else size for k in range(num_folds)]
    return np.repeat(np.arange(num_folds), sizes)


@DATASETS.register_module()
class VerificationBin(BaseFaceDataset):
    """An insightface verification ``.bin`` file as a dataset for :class:`LFWMetric`.

    Each image of the file is one item, ``dict(img_bytes=..., img_id=i,
    img_source='<file>, image <i>')``: start the pipeline with
    ``LoadImageFromBytes``. ``metainfo['pairs']`` lists the pairs in the format
    of :class:`LFWPairs` (``fold, name1, idx1, name2, idx2, is_same,
    sample_idx1, sample_idx2``): ``name1 = name2`` is the file's name without
    extension (e.g. ``'lfw'``), ``idx1, idx2 = 2i, 2i + 1`` are the 0-based
    image indices in the file (also the item indices), and the folds are
    contiguous blocks of pairs (:func:`contiguous_folds`), as insightface
    evaluates them. ``metainfo['num_folds']`` is ``num_folds``.

    Args:
        data_root: Folder of the file.
        ann_file: The ``.bin`` file, relative to ``data_root``.
        num_folds: Number of folds of the k-fold protocol (10 for the
            insightface sets); at most the number of pairs. With fewer pairs
            than a fold needs to hold both kinds, a fold's threshold is still
            chosen on the other folds, but its same/diff accuracy may be
            undefined (left out of the mean).
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(
        self, data_root: str = '', ann_file: str = 'lfw.bin', num_folds: int = 10, **kwargs
    ):
        check_positive_int('num_folds', num_folds)
        self.num_folds = num_folds
        kwargs.setdefault('test_mode', True)
        super().__init__(data_root=data_root, ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        images, flags = load_verification_bin(self.ann_file)
        try:
            folds = contiguous_folds(len(flags), self.num_folds)
        except ValueError as e:
            raise ValueError(f'{self.ann_file}: {e}') from None
        name = osp.splitext(osp.basename(self.ann_file))[0]
        data_list = [
            dict(img_bytes=data, img_id=i, img_source=f'{self.ann_file}, image {i}')
            for i, data in enumerate(images)
        ]
        pairs = [
            dict(
                fold=int(folds[i]),
                name1=name,
                idx1=2 * i,
                name2=name,
                idx2=2 * i + 1,
                is_same=same,
                sample_idx1=2 * i,
                sample_idx2=2 * i + 1,
            )
            for i, same in enumerate(flags)
        ]
        self._metainfo.update(pairs=pairs, num_folds=self.num_folds)
        return data_list
