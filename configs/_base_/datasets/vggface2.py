# VGGFace2 training images, aligned on the fly from the official 5-point loose
# landmarks (meta/train_list.txt + bb_landmark/loose_landmark_train.csv), 112x112.
# Data root: $FACEREC_DATA if set, else `data` (which may link to a shared folder).
vggface2_root = '{{$FACEREC_DATA:data}}'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='AlignFace', output_size=112),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackFaceInputs'),
]
train_dataloader = dict(
    batch_size=256,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='VGGFace2',
        data_root=vggface2_root + '/vggface2',
        data_prefix='train',
        ann_file='meta/train_list.txt',
        landmark_file='bb_landmark/loose_landmark_train.csv',
        pipeline=train_pipeline,
    ),
)
