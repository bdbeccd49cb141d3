from .annotation_io import AnnotationError, load_landmark_file, load_pairs_file
from .base_dataset import BaseFaceDataset
from .base_identity_dataset import BaseIdentityDataset
from .celeba_identities import CELEBA_ALIGNED_MEAN_LANDMARKS, CelebAIdentities
from .collate import SamplesByValue, face_collate
from .image_folder_identities import ImageFolderIdentities
from .landmark_datasets import BaseLandmarkDataset, CelebALandmarks, NDGLandmarks, VGGFace2Landmarks
from .lfw_pairs import LFWPairs
from .list_identities import FaceListIdentities
from .recordio import InsightFaceRecordIO, IRHeader, RecordIOError, RecordIOReader
from .samplers import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403
from .verification_bin import UnsafePickleError, VerificationBin, load_verification_bin
from .vggface2 import VGGFace2

__all__ = [
    'BaseLandmarkDataset',
    'CelebALandmarks',
    'NDGLandmarks',
    'VGGFace2Landmarks',
    'AnnotationError',
    'BaseFaceDataset',
    'BaseIdentityDataset',
    'CELEBA_ALIGNED_MEAN_LANDMARKS',
    'CelebAIdentities',
    'face_collate',
    'SamplesByValue',
    'ImageFolderIdentities',
    'LFWPairs',
    'IdentityBalancedSampler',  # noqa: F405
    'load_landmark_file',
    'load_pairs_file',
    'FaceListIdentities',
    'InsightFaceRecordIO',
    'IRHeader',
    'RecordIOError',
    'RecordIOReader',
    'UnsafePickleError',
    'VerificationBin',
    'load_verification_bin',
    'VGGFace2',
]
