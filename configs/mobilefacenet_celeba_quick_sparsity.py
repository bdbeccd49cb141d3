# 52% magnitude sparsity of the quick MobileFaceNet (mobilefacenet_celeba_quick.py): the
# reference schedule (1% -> 52%, exponential, one global threshold) compressed into the first
# 100 iterations with masks recomputed every 10, then training at 52% to the end of the second
# epoch, from its fp32 checkpoint (set load_from, e.g.
# --cfg-options load_from=work_dirs/quick/epoch_6.pth).
_base_ = ['mobilefacenet_celeba_quick.py']

model = dict(
    _delete_=True,
    type='MagnitudeSparsity',
    architecture=_base_.model,
    sparsity=dict(
        init=0.01,
        target=0.52,
        steps=100,
        schedule='exponential',
        by_epoch=False,
        interval=10,
        mode='global',
        bn_adaptation_batches=10,
    ),
)
load_from = 'work_dirs/quick/epoch_6.pth'

optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=2, eta_min=1e-4)]
train_cfg = dict(max_epochs=2, val_interval=2)
custom_hooks = [*_base_.custom_hooks, dict(type='CompressionHook')]
