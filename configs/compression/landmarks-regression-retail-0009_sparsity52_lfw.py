# 52% magnitude sparsity of the released landmarks-regression-retail-0009 (LandNet, 48x48):
# 1% -> 52% of the weights over 2 epochs (exponential, one global threshold), then 2 epochs at
# 52%, fine-tuned with the wing loss on the LFW landmark images. Starts from the converted
# checkpoint (see landmarks-regression-retail-0009_int8_lfw.py).
_base_ = ['landmarks-regression-retail-0009_int8_lfw.py', '../_base_/compression/sparsity52.py']

model = dict(
    _delete_=True,
    type='MagnitudeSparsity',
    architecture=_base_.model.architecture,
    # The converted batch norms are folded affines: kept, not re-estimated after masking.
    sparsity=dict(_base_.sparsity, steps=2, bn_adaptation_batches=0),
    norm_eval=True,
)

optim_wrapper = dict(optimizer=dict(lr=1e-4))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=4, eta_min=1e-6)]
train_cfg = dict(max_epochs=4, val_interval=4)
