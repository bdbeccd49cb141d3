"""tools/demo.py end to end (in process, so the synthetic detector of conftest is registered)."""

import json

import cv2
import numpy as np
import pytest


@pytest.fixture(scope='module')
def demo(load_tool):
    return load_tool('tools/demo.py').main


def test_enroll_recognize_evaluate(
    demo, colour_recognizer_ir, enroll_root, scene, tmp_path, capsys
):
    models = ['--model', str(colour_recognizer_ir), '--detector', 'SyntheticFaceDetector']
    gallery = tmp_path / 'gallery.npz'
    assert demo(['enroll', '--gallery', str(gallery), '--images', str(enroll_root), *models]) == 0
    assert 'Enrolled 4 people from 11 photos' in capsys.readouterr().out

    img = tmp_path / 'group.png'
    cv2.imwrite(str(img), scene([3, 0], np.random.default_rng(5))[0])
    args = ['recognize', '--gallery', str(gallery), '--input', str(img), '--output']
    assert demo([*args, str(tmp_path / 'out'), '--threshold', '0.8', *models]) == 0
    out = capsys.readouterr().out
    assert 'frames/s' in out and 'detection:' in out
    summary = json.loads((tmp_path / 'out' / 'summary.json').read_text())
    assert sorted(f['name'] for f in summary['frames'][0]['faces']) == ['ann', 'dee']

    assert demo(['evaluate', '--images', str(enroll_root), *models]) == 0
    assert '100.0 % (person mean)' in capsys.readouterr().out


def test_clear_errors(demo, colour_recognizer_ir, enroll_root, tmp_path, capsys):
    models = ['--model', str(colour_recognizer_ir), '--detector', 'SyntheticFaceDetector']
    gallery = tmp_path / 'gallery.npz'
    rec = ['recognize', '--gallery', str(gallery), '--output', str(tmp_path / 'o'), *models]

    assert demo([*rec, '--input', str(enroll_root / 'ann' / '0.png')]) == 2
    assert 'Gallery file not found' in capsys.readouterr().err

    demo(['enroll', '--gallery', str(gallery), '--images', str(enroll_root), *models])
    bad = tmp_path / 'clip.mp4'
    bad.write_bytes(b'\x00' * 64)
    assert demo([*rec, '--input', str(bad)]) == 2
    assert 'Cannot open video' in capsys.readouterr().err

    assert demo(['evaluate', '--images', str(tmp_path / 'none'), *models]) == 2
    assert 'folder not found' in capsys.readouterr().err

    missing = ['--model', str(tmp_path / 'rec.xml'), '--detector', 'SyntheticFaceDetector']
    assert demo(['evaluate', '--images', str(enroll_root), *missing]) == 2
    assert 'rec.xml' in capsys.readouterr().err

    assert (
        demo(['evaluate', '--images', str(enroll_root), *models[:2], '--detector', 'openvino']) == 2
    )
    assert '--detector-model' in capsys.readouterr().err
