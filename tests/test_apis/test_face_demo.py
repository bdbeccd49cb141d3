import json

import cv2
import numpy as np
import pytest

from facerec.apis import (
    FaceGallery,
    FaceRecognitionPipeline,
    GalleryError,
    enroll_gallery,
    evaluate_leave_one_out,
    identity_photos,
    load_gallery,
    load_inference_model,
    recognize,
)
from facerec.apis.media import VideoSink


@pytest.fixture
def pipeline(colour_recognizer_ir, detector_cls):
    return FaceRecognitionPipeline(detector_cls(), load_inference_model(str(colour_recognizer_ir)))


def test_enroll_skips_photos_without_a_face(pipeline, enroll_root, tmp_path):
    logs = []
    gallery = enroll_gallery(pipeline, str(enroll_root), str(tmp_path / 'g'), log=logs.append)
    assert gallery.names == ['ann', 'bob', 'cid', 'dee']
    assert np.bincount(gallery.labels).tolist() == [3, 3, 3, 2]
    assert any('dee/0.png: no face found' in line for line in logs)
    saved = FaceGallery.load(str(tmp_path / 'g' / 'gallery.npz'))
    assert saved.names == gallery.names and 'probe_embeddings' in saved.meta['model']
    assert saved.sources[0] == 'ann/0.png'


def test_people_from_folders_or_single_photos(tmp_path):
    (tmp_path / 'ann').mkdir()
    (tmp_path / 'bob').mkdir()
    for name in ('ann/1.jpg', 'ann/2.png', 'group.jpg', 'notes.txt'):
        (tmp_path / name).write_bytes(b'x')
    people = identity_photos(str(tmp_path))
    assert list(people) == ['ann', 'bob']  # the group photo beside the folders is no one
    assert [p.rsplit('/', 2)[-2:] for p in people['ann']] == [['ann', '1.jpg'], ['ann', '2.png']]
    assert people['bob'] == []
    singles = identity_photos(str(tmp_path / 'ann'))
    assert list(singles) == ['1', '2'] and singles['2'][0].endswith('ann/2.png')


def test_recognize_image_folder_and_unknown_faces(pipeline, enroll_root, scene, tmp_path):
    gallery = enroll_gallery(pipeline, str(enroll_root), log=None)
    rng = np.random.default_rng(7)
    photos = tmp_path / 'photos'
    photos.mkdir()
    cv2.imwrite(str(photos / 'a.png'), scene([1, 4, 0], rng)[0])  # identity 4 is not enrolled
    cv2.imwrite(str(photos / 'b.jpg'), np.zeros((40, 50, 3), np.uint8))  # no face
    out = tmp_path / 'out'
    summary = recognize(pipeline, gallery, str(photos), str(out), threshold=0.8, log=None)
    assert summary['kind'] == 'folder' and [f['source'] for f in summary['frames']] == [
        'a.png',
        'b.jpg',
    ]
    faces = sorted(summary['frames'][0]['faces'], key=lambda f: f['box'][0])
    assert [f['name'] for f in faces] == ['bob', 'unknown', 'ann']
    assert faces[0]['similarity'] > 0.95 and faces[1]['similarity'] < 0.8
    assert summary['frames'][1]['faces'] == []
    assert summary['frames_with_person'] == {'ann': 1, 'bob': 1, 'unknown': 1}
    assert summary['throughput']['frames'] == 2 and summary['throughput']['faces'] == 3
    assert json.loads((out / 'summary.json').read_text())['frames'] == summary['frames']
    drawn = cv2.imread(str(out / 'a.png'))
    original = cv2.imread(str(photos / 'a.png'))
    assert drawn.shape == original.shape and (drawn != original).any()
    # A single image.
    single = recognize(
        pipeline, gallery, str(photos / 'a.png'), str(tmp_path / 'one'), 0.8, log=None
    )
    assert single['kind'] == 'image' and (tmp_path / 'one' / 'a.png').is_file()


def test_recognize_video(pipeline, enroll_root, scene, tmp_path):
    gallery = enroll_gallery(pipeline, str(enroll_root), log=None)
    rng = np.random.default_rng(3)
    video = tmp_path / 'clip.avi'
    with VideoSink(str(video), fps=5) as sink:
        for people in ([2], [], [2, 3]):
            sink.write(scene(people, rng)[0])
    summary = recognize(
        pipeline, gallery, str(video), str(tmp_path / 'out'), threshold=0.8, mode='nearest'
    )
    assert summary['kind'] == 'video' and summary['match_mode'] == 'nearest'
    names = [sorted(f['name'] for f in frame['faces']) for frame in summary['frames']]
    # MJPG compression shifts colours and dots a little: names are still right.
    assert names == [['cid'], [], ['cid', 'dee']]
    assert [f['frame'] for f in summary['frames']] == [0, 1, 2]
    cap = cv2.VideoCapture(summary['outputs'][0])
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) == 3
    cap.release()
    capped = recognize(pipeline, gallery, str(video), str(tmp_path / 'o2'), 0.8, max_frames=1)
    assert len(capped['frames']) == 1


def test_leave_one_out_on_synthetic_people(pipeline, enroll_root):
    result = evaluate_leave_one_out(pipeline, str(enroll_root), log=None)
    assert result['people'] == 4 and result['photos'] == 11 and len(result['skipped']) == 1
    assert result['accuracy_mean'] == 1.0 and result['accuracy_nearest'] == 1.0
    assert result['chance'] == 0.25


def test_bad_inputs(pipeline, enroll_root, tmp_path):
    # Unreadable photo while enrolling: the error names it.
    (enroll_root / 'bob' / 'broken.jpg').write_bytes(b'not an image')
    with pytest.raises(OSError, match='broken.jpg'):
        enroll_gallery(pipeline, str(enroll_root), log=None)
    # No face anywhere: no empty gallery is written.
    empty = tmp_path / 'empty' / 'zed'
    empty.mkdir(parents=True)
    cv2.imwrite(str(empty / '0.png'), np.zeros((60, 60, 3), np.uint8))
    with pytest.raises(GalleryError, match='gallery would be empty'):
        enroll_gallery(pipeline, str(empty.parent), str(tmp_path / 'g.npz'), log=None)
    assert not (tmp_path / 'g.npz').exists()
    (tmp_path / 'nobody').mkdir()
    with pytest.raises(GalleryError, match='no person folders or photos'):
        enroll_gallery(pipeline, str(tmp_path / 'nobody'), log=None)
    with pytest.raises(NotADirectoryError):
        enroll_gallery(pipeline, str(tmp_path / 'nowhere'), log=None)

    (enroll_root / 'bob' / 'broken.jpg').unlink()
    gallery = enroll_gallery(pipeline, str(enroll_root), log=None)
    bad_video = tmp_path / 'bad.mp4'
    bad_video.write_bytes(b'\x00' * 100)
    with pytest.raises(OSError, match='Cannot open video.*bad.mp4'):
        recognize(pipeline, gallery, str(bad_video), str(tmp_path / 'o'), 0.5, log=None)
    bad_image = tmp_path / 'bad.png'
    bad_image.write_bytes(b'garbage')
    with pytest.raises(OSError, match='Cannot decode image file.*bad.png'):
        recognize(pipeline, gallery, str(bad_image), str(tmp_path / 'o'), 0.5, log=None)
    with pytest.raises(FileNotFoundError, match='Input not found'):
        recognize(pipeline, gallery, str(tmp_path / 'no.png'), str(tmp_path / 'o'), 0.5)
    (tmp_path / 'notes.txt').write_text('x')
    with pytest.raises(ValueError, match='unknown input type'):
        recognize(pipeline, gallery, str(tmp_path / 'notes.txt'), str(tmp_path / 'o'), 0.5)
    (tmp_path / 'nothing').mkdir()
    with pytest.raises(FileNotFoundError, match='No images in folder'):
        recognize(pipeline, gallery, str(tmp_path / 'nothing'), str(tmp_path / 'o'), 0.5)


def test_gallery_of_another_model_is_refused(pipeline, enroll_root, tmp_path, detector_cls):
    enroll_gallery(pipeline, str(enroll_root), str(tmp_path / 'g.npz'), log=None)
    assert load_gallery(str(tmp_path / 'g.npz'), pipeline).names[0] == 'ann'
    # Same sizes and alignment, different weights: the probe embeddings disagree.
    gallery = FaceGallery.load(str(tmp_path / 'g.npz'))
    gallery.meta['model']['probe_embeddings'] = (
        -np.asarray(gallery.meta['model']['probe_embeddings'])
    ).tolist()
    gallery.meta['model']['fingerprint'] = 'another'
    gallery.save(str(tmp_path / 'other.npz'))
    with pytest.raises(GalleryError, match='other.npz was enrolled with another model'):
        load_gallery(str(tmp_path / 'other.npz'), pipeline)
    # Another embedding size.
    small = FaceGallery(np.ones((2, 4)), [0, 1], ['a', 'b'], meta=gallery.meta)
    small.save(str(tmp_path / 'small.npz'))
    with pytest.raises(GalleryError, match='embedding size 4 vs 6'):
        load_gallery(str(tmp_path / 'small.npz'), pipeline)
