# SE-ResNet-50 adapted to faces (stride-1 3x3 stem, 1x1 reduction to 512
# channels, BN-dropout-FC-BN output layer) with a 512-d embedding in the
# VGGFace2 AM-softmax recipe.
_base_ = [
    '_base_/models/se-resnet.py',
    '_base_/datasets/vggface2.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=8631))
