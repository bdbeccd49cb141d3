import numpy as np
import pytest

from facerec.apis import FaceGallery, GalleryError
from facerec.apis.face_gallery import l2_normalise


def small_gallery(**meta):
    # person 0: two samples along x and (x + y); person 1: one sample along -x + z.
    emb = np.array([[2.0, 0, 0], [1, 1, 0], [-1, 0, 1]])
    return FaceGallery(emb, [0, 0, 1], ['ann', 'bob'], ['a1.jpg', 'a2.jpg', 'b1.jpg'], meta)


def test_match_modes_by_hand():
    g = small_gallery()
    q = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
    # mean of ann's unit vectors: (1 + 1/sqrt2, 1/sqrt2, 0), normalised.
    a = np.array([1 + 2**-0.5, 2**-0.5, 0])
    a /= np.linalg.norm(a)
    b = np.array([-1, 0, 1]) / 2**0.5
    np.testing.assert_allclose(g.similarities(q, 'mean'), [[a[1], 0], [0, b[2]]], atol=1e-6)
    # nearest sample: query 0 vs ann's (x + y)/sqrt2 -> 1/sqrt2.
    np.testing.assert_allclose(g.similarities(q, 'nearest'), [[2**-0.5, 0], [0, b[2]]], atol=1e-6)
    people, sims = g.match(q, threshold=0.5, mode='mean')
    assert people.tolist() == [-1, 1]  # a[1] = 0.38 < 0.5: unknown
    np.testing.assert_allclose(sims, [a[1], b[2]], atol=1e-6)
    people, _ = g.match(q, threshold=0.5, mode='nearest')
    assert people.tolist() == [0, 1]
    assert g.name_of(-1) == 'unknown' and g.name_of(1) == 'bob'
    assert g.match(np.zeros((0, 3)), 0.5)[0].shape == (0,)
    with pytest.raises(GalleryError, match='dimension 3'):
        g.similarities(np.ones((1, 4)))
    with pytest.raises(ValueError, match='mode'):
        g.similarities(q, 'median')


def test_save_load_round_trip_without_pickle(tmp_path):
    g = small_gallery(model=dict(input_size=[64, 64]))
    path = g.save(str(tmp_path / 'g'))
    assert path.endswith('g.npz')
    with np.load(path, allow_pickle=False) as data:  # nothing in it needs pickle
        assert set(data.files) == {'embeddings', 'labels', 'names', 'sources', 'meta'}
    back = FaceGallery.load(path)
    np.testing.assert_allclose(back.embeddings, l2_normalise(g.embeddings))
    assert back.names == ['ann', 'bob'] and back.labels.tolist() == [0, 0, 1]
    assert back.sources == ['a1.jpg', 'a2.jpg', 'b1.jpg']
    assert back.meta['model'] == {'input_size': [64, 64]}


def test_bad_gallery_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='Gallery file not found'):
        FaceGallery.load(str(tmp_path / 'missing.npz'))
    pickled = tmp_path / 'pickled.npz'
    np.savez(pickled, embeddings=np.array([{'a': 1}], dtype=object), labels=[0], names=['a'])
    with pytest.raises(GalleryError, match='pickle'):
        FaceGallery.load(str(pickled))
    other = tmp_path / 'other.npz'
    np.savez(other, x=np.zeros(3))
    with pytest.raises(GalleryError, match='not a facerec gallery'):
        FaceGallery.load(str(other))
    text = tmp_path / 'text.npz'
    text.write_text('not a zip')
    with pytest.raises(GalleryError, match='text.npz'):
        FaceGallery.load(str(text))
    future = tmp_path / 'future.npz'
    np.savez(
        future,
        embeddings=np.ones((1, 2), np.float32),
        labels=np.zeros(1, np.int64),
        names=np.array(['a']),
        meta=np.array('{"format": "facerec-gallery", "version": 99}'),
    )
    with pytest.raises(GalleryError, match='version 99'):
        FaceGallery.load(str(future))


def test_empty_or_malformed_galleries():
    with pytest.raises(GalleryError, match='empty'):
        FaceGallery(np.zeros((0, 8)), [], ['a'])
    with pytest.raises(GalleryError, match='unique'):
        FaceGallery(np.ones((2, 2)), [0, 1], ['a', 'a'])
    with pytest.raises(GalleryError, match="No embedding for \\['b'\\]"):
        FaceGallery(np.ones((2, 2)), [0, 0], ['a', 'b'])
    with pytest.raises(GalleryError, match='NaN'):
        FaceGallery(np.full((1, 2), np.nan), [0], ['a'])


def model_meta(probes, **kw):
    meta = dict(
        input_size=[64, 64],
        alignment=dict(output_size=[64, 64], template_scale=1.0),
        output_dim=3,
        fingerprint='',
        probe_embeddings=probes,
    )
    meta.update(kw)
    return meta


def test_check_model():
    rng = np.random.default_rng(0)
    probes = rng.normal(size=(4, 3))
    g = small_gallery(model=model_meta(probes.tolist(), fingerprint='abc'))
    g.check_model(model_meta((probes + 0.01).tolist()))  # same network, another backend
    g.check_model(model_meta(rng.normal(size=(4, 3)).tolist(), fingerprint='abc'))  # same ckpt
    with pytest.raises(GalleryError, match='embedding size 3 vs 5'):
        g.check_model(model_meta(probes.tolist(), output_dim=5), 'g.npz')
    with pytest.raises(GalleryError, match='input_size'):
        g.check_model(model_meta(probes.tolist(), input_size=[112, 112]))
    with pytest.raises(GalleryError, match='alignment'):
        g.check_model(
            model_meta(probes.tolist(), alignment=dict(output_size=[64, 64], template_scale=0.9))
        )
    with pytest.raises(GalleryError, match='different weights.*enroll the gallery again'):
        g.check_model(model_meta((-probes).tolist(), fingerprint='xyz'))
