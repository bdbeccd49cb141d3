# MobileFaceNet-SE 1x (256-d) with an ArcFace (s=64, m=0.5) Partial FC head on the insightface
# MS1M-ArcFace RecordIO set (faces_emore: train.rec + train.idx, 85742 identities, 5.8M aligned
# 112x112 images), validated on LFW. 128 images per rank; a tenth of each rank's negative
# centres (plus every positive) enters each step, which keeps the classifier cheap at this
# scale (use sample_rate=1.0 for the exact softmax).
_base_ = [
    '_base_/models/mobilefacenet.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

model = dict(
    head=dict(
        _delete_=True,
        type='PartialFCHead',
        num_classes=85742,
        in_channels=256,
        margin=dict(type='ArcFaceMargin', m=0.5),
        s=64.0,
        sample_rate=0.1,
    )
)
model_wrapper_cfg = dict(type='facerec.ShardedDistributedDataParallel', broadcast_buffers=False)
default_hooks = dict(checkpoint=dict(type='ShardedCheckpointHook'))

ms1m_root = '{{$FACEREC_DATA:data}}/faces_emore'
train_pipeline = [
    dict(type='LoadImageFromBytes'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackFaceInputs'),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='InsightFaceRecordIO',
        data_root=ms1m_root,
        rec_file='train.rec',
        idx_file='train.idx',
        pipeline=train_pipeline,
    ),
)
optim_wrapper = dict(optimizer=dict(lr=0.1))
