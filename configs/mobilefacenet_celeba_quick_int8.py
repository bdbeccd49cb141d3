# Int8 quantisation-aware training of the quick MobileFaceNet (mobilefacenet_celeba_quick.py):
# calibrated on 10 training batches, then one epoch of fine-tuning from its fp32 checkpoint at
# 5e-4 (the order of the rate its fp32 schedule ended with, so the weights stay near their
# optimum) decaying to 1e-5, with the batch-norm statistics frozen at the fp32 ones (norm_eval;
# README.md's compression table gives LFW accuracy with and without).
# Set load_from, e.g. --cfg-options load_from=work_dirs/quick/epoch_6.pth.
_base_ = ['mobilefacenet_celeba_quick.py', '_base_/compression/int8.py']

model = dict(
    _delete_=True,
    type='QuantizationAwareTraining',
    architecture=_base_.model,
    quantization=_base_.quantization,
    norm_eval=True,
)
load_from = 'work_dirs/quick/epoch_6.pth'

optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end=1,
        eta_min=1e-5,
        convert_to_iter_based=True,
    )
]
train_cfg = dict(max_epochs=1, val_interval=1)
custom_hooks = [*_base_.custom_hooks, dict(type='CompressionHook')]
