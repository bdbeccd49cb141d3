# Int8 quantisation-aware training of the quick LandNet (landnet_lfw_celeba.py): calibrated on
# 10 training batches, then 2 epochs of fine-tuning with Adam at a tenth of its rate, from its
# fp32 checkpoint (set load_from).
_base_ = ['landnet_lfw_celeba.py', '_base_/compression/int8.py']

model = dict(
    _delete_=True,
    type='QuantizationAwareTraining',
    architecture=_base_.model,
    quantization=_base_.quantization,
)
load_from = 'work_dirs/landnet_lfw_celeba/epoch_8.pth'

optim_wrapper = dict(optimizer=dict(lr=1e-4))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=2, eta_min=1e-6)]
train_cfg = dict(max_epochs=2, val_interval=2)
custom_hooks = [*_base_.custom_hooks, dict(type='CompressionHook')]
