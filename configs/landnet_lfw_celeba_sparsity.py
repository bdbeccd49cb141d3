# 52% magnitude sparsity of the quick LandNet (landnet_lfw_celeba.py): 1% -> 52% of the weights
# over 2 epochs (exponential, one global threshold), then 2 epochs at 52%, fine-tuned with Adam
# from its fp32 checkpoint (set load_from).
_base_ = ['landnet_lfw_celeba.py']

model = dict(
    _delete_=True,
    type='MagnitudeSparsity',
    architecture=_base_.model,
    sparsity=dict(
        init=0.01,
        target=0.52,
        steps=2,
        schedule='exponential',
        by_epoch=True,
        mode='global',
        bn_adaptation_batches=10,
    ),
)
load_from = 'work_dirs/landnet_lfw_celeba/epoch_8.pth'

optim_wrapper = dict(optimizer=dict(lr=3e-4))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=4, eta_min=1e-6)]
train_cfg = dict(max_epochs=4, val_interval=4)
custom_hooks = [*_base_.custom_hooks, dict(type='CompressionHook')]
