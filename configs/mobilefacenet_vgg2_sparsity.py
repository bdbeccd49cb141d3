# Magnitude sparsity of the reference MobileFaceNet (mobilefacenet_vgg2.py): the backbone's
# weights masked from 1% to 52% over 5 epochs (reference schedule), then 5 epochs at 52%,
# fine-tuned from the fp32 checkpoint at a low rate.
_base_ = ['mobilefacenet_vgg2.py', '_base_/compression/sparsity52.py']

model = dict(
    _delete_=True,
    type='MagnitudeSparsity',
    architecture=_base_.model,
    sparsity=_base_.sparsity,
)
load_from = 'work_dirs/mobilefacenet_vgg2/epoch_20.pth'

optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=10, eta_min=1e-4)]
train_cfg = dict(max_epochs=10, val_interval=1)
custom_hooks = [*_base_.custom_hooks, dict(type='CompressionHook')]
