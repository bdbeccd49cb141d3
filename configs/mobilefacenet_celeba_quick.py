# A quick run on CPU: MobileFaceNet-SE 1x (256-d, AM-softmax) trained on the
# CelebA aligned images with at least two images per identity, validated and
# tested on LFW view 2 with landmark alignment. The shared CelebA images are
# stored at half size (eyes ~19 px apart), so faces are aligned to a 64x64
# template (eyes ~20 px apart): no upsampling, and 3x less compute than 112x112.
_base_ = [
    '_base_/models/mobilefacenet.py',
    '_base_/datasets/celeba_aligned.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

input_size = 64
model = dict(backbone=dict(input_size=input_size), head=dict(num_classes=2760))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='AlignFace', output_size=input_size, border_mode='replicate'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackFaceInputs'),
]
lfw_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='AlignFace', output_size=input_size),
    dict(type='PackFaceInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=lfw_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=0.1))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=6, eta_min=1e-4),
]
train_cfg = dict(max_epochs=6, val_interval=6)
default_hooks = dict(logger=dict(interval=20))
