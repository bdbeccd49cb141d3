# LandNet trained on the LFW images with the landmark file fitted to them, and
# evaluated on the CelebA aligned images that have official landmarks (the
# first 330 of CelebA, stored at half size here: coordinates x 0.5).
_base_ = [
    '_base_/models/landnet.py',
    '_base_/datasets/lfw_landmarks.py',
    '_base_/datasets/celeba_landmarks_330.py',
    '_base_/schedules/adam_cosine.py',
    '_base_/default_runtime.py',
]

param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=8, eta_min=1e-5),
]
train_cfg = dict(max_epochs=8, val_interval=2)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(save_best='landmarks/mean_error', rule='less'),
)
