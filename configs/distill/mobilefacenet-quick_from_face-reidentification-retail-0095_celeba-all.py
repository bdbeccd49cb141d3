# A student trained on this CPU: the quick 64x64 MobileFaceNet-SE distilled from the released
# face-reidentification-retail-0095 on every CelebA aligned image of the shared data (train,
# val and test splits: 9,682 images), labels unused. The teacher's embeddings of each image
# and of its mirror image are computed once (its own 128x128 crop, from its FP16 IR; $M: the
# omz folder of $FACEREC_MODELS):
#   python tools/analysis/extract_embeddings.py \
#       configs/pretrained/face-reidentification-retail-0095.py \
#       $M/face-reidentification-retail-0095/FP16/face-reidentification-retail-0095.xml \
#       --data-config THIS_CONFIG --flip --out work_dirs/distill/0095_celeba-all_flip.npz
# so the teacher costs nothing per step; a flipped sample is compared with the mirrored
# image's embedding. Colour jitter reaches the student only. Losses: the cosine to the
# teacher's embedding and the relation (cosine-similarity matrix) of the batch. AdamW at
# batch 128, cosine decay over 2,100 iterations (about 60 minutes on 2 CPU cores, the
# convolutions in channels-last layout: ChannelsLastHook), a checkpoint
# every 100 iterations; README.md gives LFW against training time.
_base_ = ['mobilefacenet-quick_from_face-reidentification-retail-0095_celeba.py']

teacher_embeddings = 'work_dirs/distill/0095_celeba-all_flip.npz'
model = dict(
    student=dict(head=None),  # labels unused: no margin head
    teacher=dict(_delete_=True, embeddings=teacher_embeddings),
    distill_losses=[
        dict(type='CosineEmbeddingDistillLoss', loss_weight=1.0),
        dict(type='RelationalDistillLoss', loss_weight=1.0),
    ],
    head_loss_weight=0.0,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, prob=0.8),
    dict(type='AlignFace', output_size=_base_.input_size, border_mode='replicate'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackFaceInputs'),
]
train_dataloader = dict(
    batch_size=128,
    dataset=dict(split='all', min_images_per_identity=1, pipeline=train_pipeline),
)

max_iters = 2100
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
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=100, max_keep_ckpts=-1))
custom_hooks = [*_base_.custom_hooks, dict(type='ChannelsLastHook')]
log_processor = dict(by_epoch=False)
