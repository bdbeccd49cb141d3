"""LFW verification pairs."""

import os.path as osp
from typing import Dict, List, Optional, Tuple, Union

from facerec.registry import DATASETS
from facerec.utils.checks import check_positive_int

from .annotation_io import (
    AnnotationError,
    load_landmark_rows,
    load_pairs_file,
)
from .base_dataset import BaseFaceDataset


@DATASETS.register_module()
class LFWPairs(BaseFaceDataset):
    """The LFW verification benchmark: images of ``pairs.txt`` and its folds.

    Each unique image of the pairs file is one item of the dataset (so it is
    embedded once); the pairs, their folds and the item indices of their two
    images are in ``metainfo['pairs']`` for :class:`LFWMetric`.

    Args:
        data_root: The LFW folder.
        ann_file: The pairs file (view 2 ``pairs.txt``, or a view 1 file).
        data_prefix: Image folder, ``<Name>/<Name>_0001.jpg`` inside.
        landmark_file: Optional 5-point landmarks in the sphereface format
            (``Name/Name_0001.jpg x1 y1 ... x5 y5``); must cover every image.
        img_suffix: Extension of the image files.
        pairs_per_fold: Keep only the first N matched and first N mismatched
            pairs of every fold (a quick, still balanced subset); None keeps all.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(
        self,
        data_root: str = '',
        ann_file: str = 'pairs.txt',
        data_prefix: Union[str, dict] = 'lfw-deepfunneled',
        landmark_file: Optional[str] = None,
        img_suffix: str = '.jpg',
        pairs_per_fold: Optional[int] = None,
        **kwargs,
    ):
        if pairs_per_fold is not None:
            check_positive_int('pairs_per_fold', pairs_per_fold)
        self.pairs_per_fold = pairs_per_fold
        self.landmark_file = self._under_root(data_root, landmark_file)
        self.img_suffix = img_suffix
        kwargs.setdefault('test_mode', True)
        super().__init__(data_root=data_root, ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def image_key(self, name: str, number: int) -> str:
        """Path of an LFW image relative to the image folder."""
        return f'{name}/{name}_{number:04d}{self.img_suffix}'

    def _subset(self, pairs: List[dict]) -> List[dict]:
        kept: Dict[Tuple[int, bool], int] = {}
        subset = []
        for pair in pairs:
            key = (pair['fold'], pair['is_same'])
            if kept.get(key, 0) < self.pairs_per_fold:
                kept[key] = kept.get(key, 0) + 1
                subset.append(pair)
        return subset

    def load_data_list(self) -> List[dict]:
        pairs, num_folds = load_pairs_file(self.ann_file)
        if self.pairs_per_fold is not None:
            pairs = self._subset(pairs)
        img_root = self.img_root
        if not osp.isdir(img_root):
            raise FileNotFoundError(f'LFW image folder not found: {img_root}')
        landmarks = load_landmark_rows(self.landmark_file) if self.landmark_file else None
        self.landmark_source_file = self.landmark_file
        index: Dict[Tuple[str, int], int] = {}
        data_list: List[dict] = []

        def item_of(name: str, number: int, lineno: int) -> int:
            key = (name, number)
            if key in index:
                return index[key]
            rel = self.image_key(name, number)
            img_path = osp.join(img_root, rel)
            if not osp.isfile(img_path):
                raise FileNotFoundError(
                    f'Image file not found: {img_path} (from {self.ann_file}, line {lineno})'
                )
            info = dict(img_path=img_path, name=name, number=number)
            if landmarks is not None:
                if rel not in landmarks:
                    raise KeyError(
                        f'Landmark file {self.landmark_file} has no entry for image {rel!r}'
                    )
                info['landmarks'], info['landmarks_line'] = landmarks[rel]
            index[key] = len(data_list)
            data_list.append(info)
            return index[key]

        meta_pairs = []
        for pair in pairs:
            lineno = pair.pop('lineno')
            if pair['idx1'] <= 0 or pair['idx2'] <= 0:
                raise AnnotationError(self.ann_file, lineno, 'image numbers start at 1')
            pair['sample_idx1'] = item_of(pair['name1'], pair['idx1'], lineno)
            pair['sample_idx2'] = item_of(pair['name2'], pair['idx2'], lineno)
            meta_pairs.append(pair)
        self._metainfo.update(pairs=meta_pairs, num_folds=num_folds)
        return data_list
