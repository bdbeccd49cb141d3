# The reference LandNet recipe: trained on the NDG face crops (json list of
# crops and their 5 points under data/ndg) and evaluated on CelebA's aligned
# test split with the official landmark file.
_base_ = [
    '_base_/models/landnet.py',
    '_base_/datasets/ndg_landmarks.py',
    '_base_/datasets/celeba_landmarks.py',
    '_base_/schedules/adam_cosine.py',
    '_base_/default_runtime.py',
]

default_hooks = dict(checkpoint=dict(save_best='landmarks/mean_error', rule='less'))
