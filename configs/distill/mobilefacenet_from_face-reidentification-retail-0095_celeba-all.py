# The same student recipe with MobileFaceNet-SE 1x at 112x112 (the reference toolkit's input
# size; _base_/models/mobilefacenet.py): the teacher table, losses and augmentation of the
# quick 64x64 student, tested on LFW at 112x112. The shared CelebA faces are small (eyes ~19
# px apart), so the 112x112 training crops are upsampled; each step costs about 3.5x the
# quick model's, hence a checkpoint every 25 iterations of the 700 (about 60 minutes on 2
# CPU cores, channels-last).
_base_ = ['mobilefacenet-quick_from_face-reidentification-retail-0095_celeba-all.py']

input_size = 112
model = dict(student=dict(backbone=dict(input_size=input_size)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, prob=0.8),
    dict(type='AlignFace', output_size=input_size, border_mode='replicate'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackFaceInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
lfw_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='AlignFace', output_size=input_size),
    dict(type='PackFaceInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=lfw_pipeline))
test_dataloader = val_dataloader

max_iters = 700
param_scheduler = [
    dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=max_iters, eta_min=1e-5),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=25))
