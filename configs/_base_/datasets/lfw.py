# LFW view 2 (10 folds x 600 pairs), faces aligned from the 5-point landmark
# file fitted to the deep-funneled images.
# Data root: $FACEREC_DATA if set, else `data` (which may link to a shared folder).
lfw_root = '{{$FACEREC_DATA:data}}'

lfw_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='AlignFace', output_size=112),
    dict(type='PackFaceInputs'),
]
lfw_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='LFWPairs',
        data_root=lfw_root + '/lfw',
        ann_file='pairs.txt',
        data_prefix='lfw-deepfunneled',
        landmark_file='lfw_deepfunneled_landmark.txt',
        pipeline=lfw_pipeline,
    ),
)
val_dataloader = lfw_dataloader
test_dataloader = lfw_dataloader
val_evaluator = dict(type='LFWMetric')
test_evaluator = val_evaluator
