# SE-ResNet-50 adapted to faces (stride-1 3x3 stem, 1x1 reduction to 512 channels,
# BN-dropout-FC-BN output layer), 512-d embedding; `depth` picks 50/101/152 and
# `type='ResNet'` drops the squeeze-excitation.
_base_ = ['face_recognizer.py']

model = dict(
    backbone=dict(type='SEResNet', depth=50, embedding_size=512),
    head=dict(in_channels=512),
)
