# Int8 quantisation-aware training of the reference LandNet (landnet_ngd.py), fine-tuned from
# the fp32 checkpoint with Adam at a tenth of its rate.
_base_ = ['landnet_ngd.py', '_base_/compression/int8.py']

model = dict(
    _delete_=True,
    type='QuantizationAwareTraining',
    architecture=_base_.model,
    quantization=_base_.quantization,
)
load_from = 'work_dirs/landnet_ngd/epoch_40.pth'

optim_wrapper = dict(optimizer=dict(lr=1e-4))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=5, eta_min=1e-6)]
train_cfg = dict(max_epochs=5, val_interval=1)
custom_hooks = [*_base_.custom_hooks, dict(type='CompressionHook')]
