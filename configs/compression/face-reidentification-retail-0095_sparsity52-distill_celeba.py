# 52% magnitude sparsity of the released face-reidentification-retail-0095, distilled from
# its own fp32 model (labels unused) on the CelebA training images. The teacher is the table
# of the FP16 IR's embeddings of each image and its mirror image (see
# configs/distill/mobilefacenet-quick_from_face-reidentification-retail-0095_celeba-all.py for
# the extract_embeddings.py command), so a step costs the student only.
#
# What the masks cover: this network is small (1.1M convolution weights) and its depthwise
# kernels (the 3x3 ones and the global depthwise pooling `gdc`: 6% of the weights) carry
# much of what it computes: masking 30% of them alone moves the embeddings to 1 - cosine
# 0.29 from the fp32 ones, and one threshold over all layers (mode='global', even on
# L2-normalised weights) gives 1 - cosine 0.96 at 52%. So the depthwise layers stay dense,
# and every other convolution is masked to the same fraction (mode='local'): 55.3% of them,
# which is 52% of all the backbone's convolution weights (before fine-tuning: 1 - cosine
# 0.65). Masking rises 1% -> 55.3% over the first 450 iterations (exponential, masks
# recomputed every 10), then training goes on at that level to the end of the fourth epoch.
# The converted model's batch norms hold folded affine transforms with unit statistics, so
# they are neither re-estimated after masking nor updated (norm_eval).
# Starts from the converted checkpoint (see the int8 QAT config).
_base_ = [
    'face-reidentification-retail-0095_int8-qat-distill_celeba.py',
    '../_base_/compression/sparsity52.py',
]

teacher_embeddings = 'work_dirs/distill/0095_celeba-all_flip.npz'
model = dict(
    student=dict(
        _delete_=True,
        type='MagnitudeSparsity',
        architecture=_base_.model.student.architecture,
        sparsity=dict(
            _base_.sparsity,
            target=0.553,
            steps=450,
            by_epoch=False,
            interval=10,
            mode='local',
            bn_adaptation_batches=0,
            ignored_scope=dict(patterns=[r'.*depthwise.*', r'stem\.1\..*', r'gdc\..*']),
        ),
        norm_eval=True,
    ),
    teacher=dict(_delete_=True, embeddings=teacher_embeddings),
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='AlignFace', output_size=128, template='openvino', border_mode='replicate'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackFaceInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(optimizer=dict(lr=2e-4))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end=4,
        eta_min=1e-6,
        convert_to_iter_based=True,
    )
]
train_cfg = dict(max_epochs=4, val_interval=4)
