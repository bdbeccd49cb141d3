# CelebA aligned images, labelled by identity; the shared data holds a subset
# at half size (89x109), hence img_scale=0.5 and skip_missing_images. The faces
# are small there (eyes ~19 px apart), so they are aligned to a 64x64 template
# (eyes ~20 px apart): no upsampling, and 3x less compute than 112x112.
# Data root: $FACEREC_DATA if set, else `data` (which may link to a shared folder).
celeba_root = '{{$FACEREC_DATA:data}}'
input_size = 64

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='AlignFace', output_size=input_size, border_mode='replicate'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackFaceInputs'),
]
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='CelebAIdentities',
        data_root=celeba_root + '/celeba',
        ann_file='identity_CelebA.txt',
        partition_file='list_eval_partition.txt',
        split='train',
        data_prefix='img_align_celeba_89x109',
        img_scale=0.5,
        skip_missing_images=True,
        min_images_per_identity=2,
        pipeline=train_pipeline,
    ),
)
