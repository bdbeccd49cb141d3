# Plain ResNet-50 (no SE) adapted to faces, in the VGGFace2 AM-softmax recipe.
_base_ = [
    '_base_/models/se-resnet.py',
    '_base_/datasets/vggface2.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

model = dict(backbone=dict(type='ResNet'), head=dict(num_classes=8631))
