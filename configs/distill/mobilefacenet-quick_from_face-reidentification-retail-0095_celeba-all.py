# A student trained on this CPU: the quick 64x64 MobileFaceNet-SE distilled from the released
# face-reidentification-retail-0095 (run from its FP16 IR) on every CelebA aligned image of the
# shared data (train, val and test splits: 9,682 images), labels unused. The teacher embeds
# the same colour-jittered and flipped face as the student (its own 128x128 crop), so each
# epoch brings new targets; the losses are the cosine to the teacher's embedding and the
# relation (cosine-similarity matrix) of the batch. AdamW at batch 128, cosine decay over
# 3,600 iterations (about 60 minutes on 2 CPU cores), a checkpoint every 200 iterations;
# README.md gives LFW against training time.
_base_ = ['mobilefacenet-quick_from_face-reidentification-retail-0095_celeba.py']

model = dict(
    distill_losses=[
        dict(type='CosineEmbeddingDistillLoss', loss_weight=1.0),
        dict(type='RelationalDistillLoss', loss_weight=1.0),
    ],
    head_loss_weight=0.0,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, prob=0.8),
    dict(type='TeacherView', output_size=128, template='openvino', border_mode='replicate'),
    dict(type='AlignFace', output_size=_base_.input_size, border_mode='replicate'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackTeacherInputs'),
]
train_dataloader = dict(
    batch_size=128,
    dataset=dict(split='all', min_images_per_identity=1, pipeline=train_pipeline),
)

max_iters = 3600
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=max_iters, eta_min=1e-5),
]
train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters
)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=200, max_keep_ckpts=-1))
log_processor = dict(by_epoch=False)
