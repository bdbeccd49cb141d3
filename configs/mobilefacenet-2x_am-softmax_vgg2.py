# MobileFaceNet-SE 2x (twice the channels, 1024-channel GDC) with a 256-d
# embedding in the VGGFace2 AM-softmax recipe; only the width changes.
_base_ = [
    '_base_/models/mobilefacenet_se_am_softmax.py',
    '_base_/datasets/vggface2.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='MobileFaceNet',
        widen_factor=2.0,
        embedding_size=256,
        use_se=True,
        act='PReLU',
        input_size=112,
    ),
    head=dict(num_classes=8631, in_channels=256),
)
