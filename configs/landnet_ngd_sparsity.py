# Magnitude sparsity of the reference LandNet (landnet_ngd.py): 1% -> 52% of the weights over
# 5 epochs, then 5 epochs at 52%, fine-tuned from the fp32 checkpoint.
_base_ = ['landnet_ngd.py', '_base_/compression/sparsity52.py']

model = dict(
    _delete_=True,
    type='MagnitudeSparsity',
    architecture=_base_.model,
    sparsity=_base_.sparsity,
)
load_from = 'work_dirs/landnet_ngd/epoch_40.pth'

optim_wrapper = dict(optimizer=dict(lr=3e-4))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=10, eta_min=1e-6)]
train_cfg = dict(max_epochs=10, val_interval=1)
custom_hooks = [*_base_.custom_hooks, dict(type='CompressionHook')]
