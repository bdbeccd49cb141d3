# Int8 quantisation-aware training of the reference MobileFaceNet (mobilefacenet_vgg2.py):
# NNCF fake quantizers on the backbone (the AM-softmax head is training-only and stays fp32),
# calibrated on training batches, then fine-tuned from the fp32 checkpoint at a low rate.
_base_ = ['mobilefacenet_vgg2.py', '_base_/compression/int8.py']

model = dict(
    _delete_=True,
    type='QuantizationAwareTraining',
    architecture=_base_.model,
    quantization=_base_.quantization,
)
load_from = 'work_dirs/mobilefacenet_vgg2/epoch_20.pth'

optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=3, eta_min=1e-4)]
train_cfg = dict(max_epochs=3, val_interval=1)
custom_hooks = [*_base_.custom_hooks, dict(type='CompressionHook')]
