# Post-training int8 quantisation of the released face-reidentification-retail-0095: the
# backbone's ranges are calibrated on 10 batches of CelebA training images, nothing is
# trained. Test it on the converted fp32 checkpoint (CompressionHook calibrates first):
#   python tools/test.py THIS_CONFIG work_dirs/pretrained/face-reidentification-retail-0095.pth
_base_ = [
    '../pretrained/face-reidentification-retail-0095.py',
    '../_base_/datasets/celeba_aligned_0095.py',
    '../_base_/compression/int8.py',
]

model = dict(
    _delete_=True,
    type='QuantizationAwareTraining',
    architecture=_base_.model,
    quantization=_base_.quantization,
)
load_from = 'work_dirs/pretrained/face-reidentification-retail-0095.pth'
# Calibration data only: nothing is trained.
calibration_dataloader = _base_.train_dataloader
train_dataloader = None
custom_hooks = [*_base_.custom_hooks, dict(type='CompressionHook')]
