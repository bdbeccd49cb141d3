# MobileNetV2 1x (ImageNet table, ReLU6, no SE) with a GDC head and a 256-d
# embedding in the VGGFace2 AM-softmax recipe; only the backbone changes.
_base_ = [
    '_base_/models/mobilefacenet_se_am_softmax.py',
    '_base_/datasets/vggface2.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

model = dict(
    backbone=dict(_delete_=True, type='MobileNetV2Face', widen_factor=1.0, embedding_size=256),
    head=dict(num_classes=8631, in_channels=256),
)
