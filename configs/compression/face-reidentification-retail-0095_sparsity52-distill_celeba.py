# 52% magnitude sparsity of the released face-reidentification-retail-0095, distilled from
# its own fp32 model (the FP16 IR, labels unused) on the CelebA training images: 1% -> 52%
# of the backbone's weights masked over the first 200 iterations (exponential, one global
# threshold, masks recomputed every 10), then training at 52% to the end of the second epoch.
# The converted model's batch norms hold folded affine transforms with unit statistics, so
# they are neither re-estimated after masking nor updated in training (norm_eval).
# Starts from the converted checkpoint (see the int8 QAT config).
_base_ = [
    'face-reidentification-retail-0095_int8-qat-distill_celeba.py',
    '../_base_/compression/sparsity52.py',
]

model = dict(
    student=dict(
        _delete_=True,
        type='MagnitudeSparsity',
        architecture=_base_.model.student.architecture,
        sparsity=dict(
            _base_.sparsity, steps=200, by_epoch=False, interval=10, bn_adaptation_batches=0
        ),
        norm_eval=True,
    )
)

optim_wrapper = dict(optimizer=dict(lr=1e-4))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=2, eta_min=1e-6)]
train_cfg = dict(max_epochs=2, val_interval=2)
