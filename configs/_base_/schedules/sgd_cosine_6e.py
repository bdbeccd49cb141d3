# A short run of sgd_step.py's SGD: lr 0.1, 100 iterations of warm-up, cosine decay over
# 6 epochs, validated at the end.
_base_ = ['sgd_step.py']

optim_wrapper = dict(optimizer=dict(lr=0.1))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=6, eta_min=1e-4),
]
train_cfg = dict(max_epochs=6, val_interval=6)
