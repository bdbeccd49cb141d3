# Int8 quantisation-aware training of the released landmarks-regression-retail-0009 (LandNet,
# 48x48): calibrated on 10 training batches, then 2 epochs of fine-tuning with the wing loss on
# the LFW images with the landmark file fitted to them, at a small rate. Starts from the
# converted checkpoint ($M: the omz folder of $FACEREC_MODELS):
#   python tools/model_converters/openvino_to_facerec.py \
#       configs/pretrained/landmarks-regression-retail-0009.py \
#       $M/landmarks-regression-retail-0009/FP32/landmarks-regression-retail-0009.xml \
#       work_dirs/pretrained/landmarks-regression-retail-0009.pth
_base_ = [
    '../pretrained/landmarks-regression-retail-0009.py',
    '../_base_/datasets/lfw_landmarks.py',
    '../_base_/compression/int8.py',
]

model = dict(
    _delete_=True,
    type='QuantizationAwareTraining',
    architecture=_base_.model,
    quantization=_base_.quantization,
    # The converted batch norms hold folded affine transforms with unit statistics: keep them.
    norm_eval=True,
)
load_from = 'work_dirs/pretrained/landmarks-regression-retail-0009.pth'

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-5, weight_decay=0.0))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=2, eta_min=1e-7)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2, val_interval=2)
custom_hooks = [*_base_.custom_hooks, dict(type='CompressionHook')]
