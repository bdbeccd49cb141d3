from .annotation_io import AnnotationError, load_landmark_file, load_pairs_file
from .base_identity_dataset import BaseIdentityDataset
from .celeba_identities import CELEBA_ALIGNED_MEAN_LANDMARKS, CelebAIdentities
from .image_folder_identities import ImageFolderIdentities
from .landmark_datasets import BaseLandmarkDataset, CelebALandmarks, NDGLandmarks, VGGFace2Landmarks
from .lfw_pairs import LFWPairs
from .transforms import *  # noqa: F401,F403

__all__ = [
    'BaseLandmarkDataset',
    'CelebALandmarks',
    'NDGLandmarks',
    'VGGFace2Landmarks',
    'AnnotationError',
    'BaseIdentityDataset',
    'CELEBA_ALIGNED_MEAN_LANDMARKS',
    'CelebAIdentities',
    'ImageFolderIdentities',
    'LFWPairs',
    'load_landmark_file',
    'load_pairs_file',
]
