from .num_classes_check_hook import NumClassesCheckHook
from .progress_bar_hook import ProgressBarHook

__all__ = ['NumClassesCheckHook', 'ProgressBarHook']
