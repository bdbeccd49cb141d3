# LandNet training on the NDG face crops: a json list of crops and their 5 points under
# data/ndg. Each crop is the face box (FixedFaceBox over the whole image), lightly jittered,
# rotated, flipped and blurred.
ndg_root = '{{$FACEREC_DATA:data}}'
ndg_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomRotateFace', max_angle=10.0, prob=0.5),
    dict(type='FixedFaceBox', box=(0.0, 0.0, 1.0, 1.0)),
    dict(type='RandomBoxJitter', shift=0.05, scale=(0.95, 1.05)),
    dict(type='CropFaceBox', output_size=48, box_source='bbox'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomBlur', prob=0.2, max_kernel=5),
    dict(type='PackFaceInputs'),
]
train_dataloader = dict(
    batch_size=1024,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='NDGLandmarks',
        data_root=ndg_root + '/ndg',
        ann_file='train.json',
        pipeline=ndg_train_pipeline,
    ),
)
