# Int8 + 52% sparse LandNet (landnet_ngd.py): the backbone is masked (1% -> 52% over 5 epochs)
# and then quantised; weights, masks and quantizer ranges are fine-tuned together from the fp32
# checkpoint.
_base_ = [
    'landnet_ngd.py',
    '_base_/compression/int8.py',
    '_base_/compression/sparsity52.py',
]

model = dict(
    _delete_=True,
    type='QuantizationAwareTraining',
    architecture={{_base_.model}},
    quantization={{_base_.quantization}},
    sparsity={{_base_.sparsity}},
)
load_from = 'work_dirs/landnet_ngd/epoch_40.pth'

optim_wrapper = dict(optimizer=dict(lr=3e-4))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=10, eta_min=1e-6)]
train_cfg = dict(max_epochs=10, val_interval=1)
custom_hooks = [
    dict(type='NumClassesCheckHook'),
    dict(type='ProgressBarHook'),
    dict(type='CompressionHook'),
]
