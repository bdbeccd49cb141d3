# A quick run on CPU: MobileFaceNet-SE 1x (256-d, AM-softmax) trained on the
# CelebA aligned images with at least two images per identity, validated and
# tested on LFW view 2 with landmark alignment, both at 64x64 (the shared CelebA
# images are stored at half size: see _base_/datasets/celeba_aligned.py).
_base_ = [
    '_base_/models/mobilefacenet.py',
    '_base_/datasets/celeba_aligned.py',
    '_base_/datasets/lfw_64x64.py',
    '_base_/schedules/sgd_cosine_6e.py',
    '_base_/default_runtime.py',
]

model = dict(backbone=dict(input_size=_base_.input_size), head=dict(num_classes=2760))
default_hooks = dict(logger=dict(interval=20))
