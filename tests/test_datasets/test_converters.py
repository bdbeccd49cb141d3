"""The landmark-list to NDG converter, end to end and read back through NDGLandmarks."""

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from facerec.datasets.converters import convert_landmarks_to_ndg
from facerec.datasets.landmark_datasets import NDGLandmarks
from facerec.datasets.transforms import get_template

REPO = Path(__file__).resolve().parents[2]
NAMES = ['Alice_A/Alice_A_0001.png', 'Alice_A/Alice_A_0002.png', 'Bob_B/Bob_B_0001.png']
#: Offsets of the template: the last face sits near the top-left corner, so its
#: crop hangs over the image border.
OFFSETS = [(20.3, 15.6), (5.7, 10.2), (-28.4, -40.1)]


def draw_dots(img: np.ndarray, points: np.ndarray, sigma: float = 2.5) -> np.ndarray:
    """Add white Gaussian dots centred on the points to a dark image."""
    yy, xx = np.mgrid[0 : img.shape[0], 0 : img.shape[1]].astype(np.float64)
    dots = np.zeros(img.shape[:2])
    for x, y in points:
        dots = np.maximum(dots, np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2)))
    return np.maximum(img, (dots * 250).round().astype(np.uint8)[..., None])


def find_dots(img: np.ndarray) -> np.ndarray:
    """Intensity-weighted centres of the bright blobs, ``(N, 2)`` x, y."""
    gray = img[..., 0].astype(np.float64)
    num, labels = cv2.connectedComponents((gray > 125).astype(np.uint8))
    yy, xx = np.mgrid[0 : gray.shape[0], 0 : gray.shape[1]]
    return np.array(
        [
            [(gray * xx)[labels == k].sum(), (gray * yy)[labels == k].sum()]
            / gray[labels == k].sum()
            for k in range(1, num)
        ]
    )


@pytest.fixture
def landmark_folder(tmp_path):
    """Three dark, textured 120x100 images with dots at their landmarks, and the list."""
    rng = np.random.default_rng(0)
    lines, points = [], {}
    for name, offset in zip(NAMES, OFFSETS):
        pts = get_template(112) * 0.8 + np.array(offset)
        img = draw_dots(rng.integers(0, 40, (100, 120, 3), dtype=np.uint8), pts)
        path = tmp_path / 'imgs' / name
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), img)
        points[name] = pts
        lines.append(name + ' ' + ' '.join(f'{v:.3f}' for v in pts.ravel()))
    (tmp_path / 'landmarks.txt').write_text('\n'.join(lines) + '\n')
    return tmp_path, points


def test_script_writes_pixel_exact_crops(landmark_folder):
    root, points = landmark_folder
    out = root / 'out'
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1')
    script = REPO / 'tools' / 'dataset_converters' / 'landmarks_to_ndg.py'
    args = [str(root / 'landmarks.txt'), str(root / 'imgs'), str(out / 'ann.json')]
    proc = subprocess.run(
        [sys.executable, str(script), *args, '--out-dir', str(out / 'crops'), '--expand', '1.5'],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'Wrote 3 entries' in proc.stdout

    ds = NDGLandmarks(
        ann_file=str(out / 'ann.json'),
        data_prefix=str(out / 'crops'),
        pipeline=[dict(type='LoadImageFromFile')],
    )
    assert len(ds) == 3
    for i, name in enumerate(NAMES):
        sample = ds[i]
        assert sample['img_path'] == str(out / 'crops' / name)
        orig = cv2.imread(str(root / 'imgs' / name))
        pts = points[name]
        side = int(round((pts.max(0) - pts.min(0)).max() * 1.5))
        assert sample['img'].shape == (side, side, 3)
        # The crop is a whole-pixel window of the image (edges replicated outside it).
        shift = pts - sample['landmarks']
        np.testing.assert_allclose(shift, shift[:1].repeat(5, 0), atol=2e-3)
        left, top = np.round(shift[0]).astype(int)
        np.testing.assert_allclose(shift[0], [left, top], atol=2e-3)
        pad = 60
        padded = np.pad(orig, ((pad, pad), (pad, pad), (0, 0)), mode='edge')
        window = padded[top + pad : top + pad + side, left + pad : left + pad + side]
        np.testing.assert_array_equal(sample['img'], window)
        # Centred on the points' extent.
        centre = (pts.min(0) + pts.max(0)) / 2
        np.testing.assert_allclose([left + side / 2, top + side / 2], centre + 0.5, atol=0.51)
    assert ds.get_data_info(2)['landmarks'].min() > 0  # the border face is inside its crop


def test_resized_crops_and_no_crop(landmark_folder):
    root, points = landmark_folder
    entries = convert_landmarks_to_ndg(
        str(root / 'landmarks.txt'),
        str(root / 'imgs'),
        str(root / 'sized.json'),
        out_dir=str(root / 'sized'),
        expand=2.0,
        crop_size=40,
    )
    assert [e['path'] for e in entries] == NAMES
    ds = NDGLandmarks(
        ann_file='sized.json',
        data_root=str(root),
        data_prefix='sized',
        pipeline=[dict(type='LoadImageFromFile')],
    )
    assert ds[2]['img'].shape == (40, 40, 3)
    for i in range(2):  # the dots of the border face are cut by the image edge
        sample = ds[i]
        assert sample['img'].shape == (40, 40, 3)
        dots = find_dots(sample['img'])
        assert len(dots) == 5
        for p in sample['landmarks']:
            assert np.linalg.norm(dots - p, axis=1).min() < 0.3

    entries = convert_landmarks_to_ndg(
        str(root / 'landmarks.txt'), str(root / 'imgs'), str(root / 'orig.json'), crop=False
    )
    assert not (root / 'orig').exists()
    ds = NDGLandmarks(ann_file=str(root / 'orig.json'), data_prefix=str(root / 'imgs'), pipeline=[])
    for i, name in enumerate(NAMES):
        assert ds.get_data_info(i)['img_path'] == str(root / 'imgs' / name)
        np.testing.assert_allclose(ds.get_data_info(i)['landmarks'], points[name], atol=1e-3)


def test_converter_errors(landmark_folder):
    root, _ = landmark_folder
    lm, imgs = str(root / 'landmarks.txt'), str(root / 'imgs')
    with pytest.raises(ValueError, match='out_dir is required'):
        convert_landmarks_to_ndg(lm, imgs, str(root / 'a.json'))
    with pytest.raises(ValueError, match='expand'):
        convert_landmarks_to_ndg(lm, imgs, str(root / 'a.json'), crop=False, expand=0)
    with pytest.raises(FileNotFoundError, match='Image folder not found'):
        convert_landmarks_to_ndg(lm, str(root / 'none'), str(root / 'a.json'), crop=False)
    (root / 'imgs' / NAMES[1]).unlink()
    with pytest.raises(FileNotFoundError, match=r'Alice_A_0002.png \(listed in .*landmarks.txt\)'):
        convert_landmarks_to_ndg(lm, imgs, str(root / 'a.json'), crop=False)
    kept = convert_landmarks_to_ndg(
        lm, imgs, str(root / 'a.json'), out_dir=str(root / 'c'), skip_missing=True
    )
    assert [e['path'] for e in kept] == [NAMES[0], NAMES[2]]
    (root / 'flat.txt').write_text(NAMES[0] + ' 5 5' * 5 + '\n')
    with pytest.raises(ValueError, match=r"flat.txt: image 'Alice_A/Alice_A_0001.png'.*degenerate"):
        convert_landmarks_to_ndg(str(root / 'flat.txt'), imgs, str(root / 'b.json'), out_dir='c')
