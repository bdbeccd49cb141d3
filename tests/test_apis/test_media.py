import numpy as np
import pytest

from facerec.apis.media import (
    VideoSink,
    input_kind,
    list_images,
    open_video,
    read_frames,
    video_fps,
)
from facerec.apis.visualization import KNOWN_COLOUR, UNKNOWN_COLOUR, draw_faces


def test_input_kind_and_listing(tmp_path):
    (tmp_path / 'b.JPG').write_bytes(b'x')
    (tmp_path / 'a.png').write_bytes(b'x')
    (tmp_path / 'notes.txt').write_text('x')
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'c.jpg').write_bytes(b'x')
    (tmp_path / 'clip.MP4').write_bytes(b'x')
    assert input_kind(str(tmp_path)) == 'folder'
    assert input_kind(str(tmp_path / 'b.JPG')) == 'image'
    assert input_kind(str(tmp_path / 'clip.MP4')) == 'video'
    with pytest.raises(ValueError, match='unknown input type'):
        input_kind(str(tmp_path / 'notes.txt'))
    with pytest.raises(FileNotFoundError):
        input_kind(str(tmp_path / 'missing.jpg'))
    names = [p.rsplit('/', 1)[1] for p in list_images(str(tmp_path))]
    assert names == ['a.png', 'b.JPG']
    assert len(list_images(str(tmp_path), recursive=True)) == 3
    with pytest.raises(NotADirectoryError):
        list_images(str(tmp_path / 'a.png'))


def test_video_round_trip_and_errors(tmp_path):
    path = str(tmp_path / 'v.mp4')
    with VideoSink(path, fps=12) as sink:
        for i in range(4):
            sink.write(np.full((48, 64, 3), 40 * i, np.uint8))
    assert sink.frames == 4
    frames = list(read_frames(path))
    assert [i for i, _ in frames] == [0, 1, 2, 3] and frames[0][1].shape == (48, 64, 3)
    assert abs(frames[3][1].mean() - 120) < 6
    assert video_fps(path) == pytest.approx(12)
    assert len(list(read_frames(path, max_frames=2))) == 2
    with pytest.raises(FileNotFoundError, match='Video file not found'):
        open_video(str(tmp_path / 'none.mp4'))
    (tmp_path / 'bad.avi').write_bytes(b'RIFF' + b'\x00' * 60)
    with pytest.raises(OSError, match='bad.avi'):
        list(read_frames(str(tmp_path / 'bad.avi')))


def test_draw_faces():
    img = np.zeros((100, 200, 3), np.uint8)
    boxes = np.array([[20, 30, 60, 80], [120, 10, 180, 90]], np.float32)
    out = draw_faces(img, boxes, ['ann 0.91', 'unknown 0.12'], [True, False], np.zeros((2, 5, 2)))
    assert (img == 0).all()  # the input is not drawn on
    assert tuple(out[55, 20]) == KNOWN_COLOUR  # left edge of the first box
    assert tuple(out[50, 180]) == UNKNOWN_COLOUR  # right edge of the second
    assert (out[40:70, 30:50] == 0).all()  # the inside of a box is untouched
