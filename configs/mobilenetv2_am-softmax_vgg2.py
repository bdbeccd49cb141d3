# MobileNetV2 1x (ImageNet table, ReLU6, no SE) with a GDC head and a 256-d
# embedding in the VGGFace2 AM-softmax recipe; only the backbone changes.
_base_ = [
    '_base_/models/mobilenetv2.py',
    '_base_/datasets/vggface2.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

model = dict(backbone=dict(widen_factor=1.0), head=dict(num_classes=8631))
