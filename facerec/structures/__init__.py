from .face_data_sample import FaceDataSample

__all__ = ['FaceDataSample']
