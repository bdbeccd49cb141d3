# SE-ResNet-50 adapted to faces (stride-1 3x3 stem, 1x1 reduction to 512
# channels, BN-dropout-FC-BN output layer) with a 512-d embedding in the
# VGGFace2 AM-softmax recipe; only the backbone and the head's input size change.
_base_ = [
    '_base_/models/mobilefacenet_se_am_softmax.py',
    '_base_/datasets/vggface2.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

model = dict(
    backbone=dict(_delete_=True, type='SEResNet', depth=50, embedding_size=512),
    head=dict(num_classes=8631, in_channels=512),
)
