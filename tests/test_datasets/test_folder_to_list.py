"""The folders-to-list converter, end to end and read back through FaceListIdentities."""

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

from facerec.datasets import FaceListIdentities, ImageFolderIdentities
from facerec.datasets.converters.lists import folders_to_list

REPO = Path(__file__).resolve().parents[2]


def write_landmarks(root: Path, skip: str = '') -> Path:
    rng = np.random.default_rng(3)
    lines = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for img in sorted(folder.iterdir()):
            rel = f'{folder.name}/{img.name}'
            if rel != skip:
                lines.append(rel + ' ' + ' '.join(f'{v:.3f}' for v in rng.uniform(0, 96, 10)))
    path = root.parent / 'landmarks.txt'
    path.write_text('\n'.join(lines) + '\n')
    return path


def test_folder_to_list_tool_round_trip(identity_folder, tmp_path, monkeypatch, capsys):
    landmarks = write_landmarks(identity_folder)
    out, classes = tmp_path / 'out' / 'list.txt', tmp_path / 'out' / 'classes.txt'
    tool = REPO / 'tools' / 'dataset_converters' / 'folder_to_list.py'
    argv = [str(tool), str(identity_folder), str(out), '--landmarks', str(landmarks)]
    monkeypatch.setattr(sys, 'argv', [*argv, '--classes', str(classes)])
    runpy.run_path(str(tool), run_name='__main__')  # the script as run from the command line
    assert 'Wrote 16 lines' in capsys.readouterr().out
    first = out.read_text().splitlines()[0].split()
    assert first[:2] == ['id00/0.jpg', '0'] and len(first) == 12
    assert classes.read_text().splitlines() == ['0 id00', '1 id01', '2 id02', '3 id03']
    listed = FaceListIdentities(ann_file=str(out), data_prefix=str(identity_folder))
    folders = ImageFolderIdentities(data_prefix=str(identity_folder), landmark_file=str(landmarks))
    assert len(listed) == len(folders) == 16
    for i in range(16):
        a, b = listed.get_data_info(i), folders.get_data_info(i)
        assert a['img_path'] == b['img_path'] and a['gt_label'] == b['gt_label']
        np.testing.assert_array_equal(a['landmarks'], b['landmarks'])


def test_folder_to_list_without_and_with_missing_landmarks(identity_folder, tmp_path):
    lines = folders_to_list(str(identity_folder), str(tmp_path / 'plain.txt'))
    assert lines[4] == 'id01/0.jpg 1' and len(lines) == 16
    landmarks = write_landmarks(identity_folder, skip='id02/3.jpg')
    with pytest.raises(KeyError, match="no entry for image 'id02/3.jpg'"):
        folders_to_list(str(identity_folder), str(tmp_path / 'x.txt'), str(landmarks))
    kept = folders_to_list(
        str(identity_folder), str(tmp_path / 'x.txt'), str(landmarks), skip_missing_landmarks=True
    )
    assert len(kept) == 15 and not any(line.startswith('id02/3.jpg') for line in kept)
    with pytest.raises(FileNotFoundError):
        folders_to_list(str(tmp_path / 'nowhere'), str(tmp_path / 'y.txt'))
