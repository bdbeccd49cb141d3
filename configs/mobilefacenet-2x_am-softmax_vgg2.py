# MobileFaceNet-SE 2x (twice the channels, 1024-channel GDC) with a 256-d
# embedding in the VGGFace2 AM-softmax recipe; only the width changes.
_base_ = [
    '_base_/models/mobilefacenet.py',
    '_base_/datasets/vggface2.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

model = dict(backbone=dict(widen_factor=2.0), head=dict(num_classes=8631))
