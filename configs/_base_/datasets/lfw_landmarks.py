# LandNet training on LFW: the deep-funneled images with the 5-point file fitted
# to them. The face box is a square around the points (side = 2 x their extent),
# jittered, rotated and flipped, so the model also copes with a detector's box.
lfw_lm_root = '{{$FACEREC_DATA:data}}'

landmark_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomRotateFace', max_angle=10.0, prob=0.5),
    dict(type='BoxFromLandmarks', expand=2.0),
    dict(type='RandomBoxJitter', shift=0.1, scale=(0.9, 1.1)),
    dict(type='CropFaceBox', output_size=48, box_source='bbox'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomBlur', prob=0.2, max_kernel=5),
    dict(type='PackFaceInputs'),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='ImageFolderIdentities',
        data_root=lfw_lm_root + '/lfw',
        data_prefix='lfw-deepfunneled',
        landmark_file='lfw_deepfunneled_landmark.txt',
        pipeline=landmark_train_pipeline,
    ),
)
