import pytest
from mmengine.registry import MODELS as MMENGINE_MODELS

from facerec import registry
from facerec.registry import (
    DATASETS,
    HOOKS,
    METRICS,
    MODELS,
    OPTIM_WRAPPERS,
    RUNNERS,
    TRANSFORMS,
)

#: The names the configs and tools use; a renamed class fails here first.
EXPECTED = {
    MODELS: [
        'MobileFaceNet',
        'AMSoftmaxHead',
        'ArcFaceHead',
        'CrossEntropyLoss',
        'FocalLoss',
        'FaceRecognizer',
        'FaceDataPreprocessor',
        'LandNet',
        'LandmarkRegressor',
        'WingLoss',
        'L1Loss',
        'MSELoss',
    ],
    DATASETS: [
        'LFWPairs',
        'CelebAIdentities',
        'ImageFolderIdentities',
        'NDGLandmarks',
        'CelebALandmarks',
        'VGGFace2Landmarks',
    ],
    TRANSFORMS: [
        'LoadImageFromFile',
        'AlignFace',
        'CenterCropResize',
        'RandomFlip',
        'PackFaceInputs',
        'CropFaceBox',
        'RandomBoxJitter',
        'RandomRotateFace',
        'RandomBlur',
        'FixedFaceBox',
        'BoxFromLandmarks',
        'LandmarksFromModel',
    ],
    METRICS: ['LFWMetric', 'LandmarksMetric'],
    HOOKS: ['NumClassesCheckHook', 'ProgressBarHook'],
    RUNNERS: ['FaceRunner'],
    OPTIM_WRAPPERS: ['AutocastOptimWrapper'],
}


@pytest.mark.parametrize('reg', list(EXPECTED), ids=lambda r: r.name)
def test_registry_holds_config_names(reg):
    for name in EXPECTED[reg]:
        assert reg.get(name) is not None, f'{name} missing from {reg.name}'


#: Registries with no mmengine counterpart to be a child of.
STANDALONE = {'DETECTORS'}


def test_registries_are_children_with_locations():
    for name in registry.__all__:
        reg = getattr(registry, name)
        assert reg.scope == 'facerec', name
        assert (reg.parent is None) == (name in STANDALONE), name
    assert MODELS.parent is MMENGINE_MODELS
    assert MODELS._locations == ['facerec.models']
    assert registry.DETECTORS._locations == ['facerec.apis.detectors']
    assert registry.DETECTORS.get('MTCNNDetector') is not None
    assert registry.DETECTORS.get('OpenVINOSSDDetector') is not None


def test_mmengine_components_reachable_from_facerec_scope():
    assert HOOKS.get('CheckpointHook') is not None
    assert RUNNERS.get('Runner') is not None


def test_unknown_type_is_a_clear_error():
    with pytest.raises(KeyError, match='NoSuchBackbone is not in the'):
        MODELS.build(dict(type='NoSuchBackbone'))
