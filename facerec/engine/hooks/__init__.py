from .compression_hook import CompressionHook
from .num_classes_check_hook import NumClassesCheckHook
from .progress_bar_hook import ProgressBarHook

__all__ = ['CompressionHook', 'NumClassesCheckHook', 'ProgressBarHook']
