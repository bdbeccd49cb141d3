# SE-ResNeXt-50 (32x4d) adapted to faces, 512-d embedding, in the VGGFace2
# AM-softmax recipe; only the backbone and the head's input size change.
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
        type='SEResNeXt',
        depth=50,
        groups=32,
        width_per_group=4,
        embedding_size=512,
    ),
    head=dict(num_classes=8631, in_channels=512),
)
