"""Real images from a config's dataloader: calibration and parity inputs."""

from typing import Any

import numpy as np


def load_dataset_images(
    cfg: Any, num_images: int, dataloader: str = 'test_dataloader', seed: int = 0
) -> np.ndarray:
    """Run a config's dataset pipeline on a random subset of its images.

    Args:
        cfg: The config (an mmengine ``Config`` or a dict).
        num_images: How many images; fewer if the dataset is smaller.
        dataloader: The dataloader key whose dataset is used (``'test_dataloader'``,
            ``'val_dataloader'``, ``'train_dataloader'``); when the config has no test
            (val) dataloader, its val (test) one is used.
        seed: Seed of the subset choice (sorted indices, reproducible).

    Returns:
        float32 ``(N, 3, H, W)`` raw BGR 0..255 images as the model receives them
        (aligned and cropped by the pipeline, not normalised).
    """
    from facerec.registry import DATASETS
    from facerec.utils import register_all_modules
    from facerec.utils.checks import check_positive_int

    num_images = check_positive_int('num_images', num_images)
    register_all_modules()
    keys = [dataloader]
    if dataloader in ('test_dataloader', 'val_dataloader'):
        keys += [k for k in ('test_dataloader', 'val_dataloader') if k != dataloader]
    loader = next((cfg.get(k) for k in keys if cfg.get(k)), None)
    if loader is None or 'dataset' not in loader:
        raise KeyError(f'The config has no {dataloader} with a dataset to take images from')
    dataset = DATASETS.build(loader['dataset'])
    if len(dataset) == 0:
        raise ValueError(f'The dataset of {dataloader} is empty')
    rng = np.random.default_rng(seed)
    count = min(int(num_images), len(dataset))
    indices = np.sort(rng.choice(len(dataset), size=count, replace=False))
    images = [np.asarray(dataset[int(i)]['inputs'], dtype=np.float32) for i in indices]
    shapes = {img.shape for img in images}
    if len(shapes) != 1:
        raise ValueError(f'The images of {dataloader} differ in shape: {sorted(shapes)}')
    return np.stack(images)
