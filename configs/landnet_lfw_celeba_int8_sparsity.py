# Int8 + 52% sparse quick LandNet (landnet_lfw_celeba.py): masked 1% -> 52% over 2 epochs, then
# quantised; weights, masks and quantizer ranges fine-tuned together for 4 epochs from the fp32
# checkpoint (set load_from).
_base_ = ['landnet_lfw_celeba.py', '_base_/compression/int8.py']

model = dict(
    _delete_=True,
    type='QuantizationAwareTraining',
    architecture={{_base_.model}},
    quantization={{_base_.quantization}},
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
custom_hooks = [
    dict(type='NumClassesCheckHook'),
    dict(type='ProgressBarHook'),
    dict(type='CompressionHook'),
]
