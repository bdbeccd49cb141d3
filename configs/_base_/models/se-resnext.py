# SE-ResNeXt-50 32x4d adapted to faces, 512-d embedding; `depth` picks 50/101.
_base_ = ['face_recognizer.py']

model = dict(
    backbone=dict(type='SEResNeXt', depth=50, groups=32, width_per_group=4, embedding_size=512),
    head=dict(in_channels=512),
)
