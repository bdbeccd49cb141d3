"""tools/test.py --metric lfw embeds each unique image once and logs images/s."""

import re

import torch
from test_train_test_tools import run, write_config

from facerec.registry import MODELS
from facerec.utils import register_all_modules


def unique_pair_images(pairs_file) -> set:
    """The images a view-2 pairs file names, read independently of LFWPairs."""
    images = set()
    for line in pairs_file.read_text().splitlines()[1:]:
        f = line.split()
        if len(f) == 3:
            images |= {(f[0], int(f[1])), (f[0], int(f[2]))}
        elif len(f) == 4:
            images |= {(f[0], int(f[1])), (f[2], int(f[3]))}
    return images


def test_lfw_test_embeds_each_image_once_and_logs_rate(
    lfw_like, identity_folder, tmp_path, make_tiny_config
):
    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'work')
    path = write_config(cfg, tmp_path / 'tiny.py')
    register_all_modules()
    torch.manual_seed(0)
    model = MODELS.build(cfg['model'])
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), tmp_path / 'tiny.pth')
    code, out = run(
        ['tools/test.py', str(path), str(tmp_path / 'tiny.pth'), '--metric', 'lfw']
        + ['--work-dir', str(tmp_path / 'test')]
    )
    assert code == 0, out
    found = re.search(r'Test: (\d+) images in ([\d.]+) s, ([\d.]+) images/s', out)
    assert found, out
    assert int(found.group(1)) == len(unique_pair_images(lfw_like / 'pairs.txt'))
    assert float(found.group(3)) > 0
    assert 'Accuracy/Val_accuracy mean:' in out
