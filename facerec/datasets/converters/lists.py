"""Writing image lists (``path label [x1 y1 ... x5 y5]``) for :class:`FaceListIdentities`."""

import os
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np

from ..annotation_io import load_landmark_file
from ..base_identity_dataset import _listdir, list_images
from ..image_folder_identities import IMG_EXTENSIONS


def _number(value: float) -> str:
    """The shortest text that reads back as the same float32."""
    return np.format_float_positional(np.float32(value), trim='-')


def folders_to_list(
    img_root: str,
    out_file: str,
    landmark_file: Optional[str] = None,
    class_file: Optional[str] = None,
    extensions: Sequence[str] = IMG_EXTENSIONS,
    skip_missing_landmarks: bool = False,
) -> List[str]:
    """List ``img_root/<identity>/<image>`` in the ``'label'`` format of FaceListIdentities.

    Identities are the sub-folders in sorted order, labelled ``0 .. C-1``;
    their images are listed in sorted order, one line
    ``identity/image.jpg LABEL`` each, followed by the 10 landmark
    coordinates when ``landmark_file`` (sphereface format, keys
    ``identity/image.jpg``) is given. Read the list back with
    ``FaceListIdentities(ann_file=out_file, data_prefix=img_root)``: it gives
    the same labels, images and landmarks as ``ImageFolderIdentities`` on
    ``img_root`` (with the same landmark file).

    Args:
        img_root: The image folder, one sub-folder per identity.
        out_file: The list to write.
        landmark_file: Optional 5-point landmarks of the images.
        class_file: Optional file to write ``LABEL identity`` lines to.
        extensions: Image file extensions to list.
        skip_missing_landmarks: Leave out images without landmarks, instead
            of raising KeyError.

    Returns:
        The lines written (without line ends).
    """
    landmarks = load_landmark_file(landmark_file) if landmark_file else None
    identities = sorted(d for d in _listdir(img_root) if osp.isdir(osp.join(img_root, d)))
    lines: List[str] = []
    classes: List[str] = []
    for identity in identities:
        images = list_images(osp.join(img_root, identity), extensions)
        entries = []
        for name in images:
            rel = f'{identity}/{name}'
            if any(c.isspace() for c in rel):
                raise ValueError(f'{osp.join(img_root, rel)}: the list format cannot hold spaces')
            if landmarks is None:
                entries.append(rel)
                continue
            if rel not in landmarks:
                if skip_missing_landmarks:
                    continue
                raise KeyError(f'Landmark file {landmark_file} has no entry for image {rel!r}')
            entries.append(rel + ' ' + ' '.join(_number(v) for v in landmarks[rel].reshape(-1)))
        if not entries:
            continue
        label = len(classes)
        classes.append(identity)
        for entry in entries:
            path, _, coords = entry.partition(' ')
            lines.append(f'{path} {label} {coords}' if coords else f'{path} {label}')
    if not lines:
        raise ValueError(f'No images found under {img_root!r}')
    _write_lines(out_file, lines)
    if class_file:
        _write_lines(class_file, [f'{i} {name}' for i, name in enumerate(classes)])
    return lines


def _write_lines(path: str, lines: Sequence[str]) -> None:
    folder = osp.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(''.join(line + '\n' for line in lines))
