# IResNet-50 (IR-50, ArcFace's improved residual network) with a 512-d
# embedding in the VGGFace2 AM-softmax recipe (s=30, m=0.35, SGD lr 0.4,
# batch 256, LFW test); only the backbone and the head's input size change.
_base_ = [
    '_base_/models/mobilefacenet_se_am_softmax.py',
    '_base_/datasets/vggface2.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

model = dict(
    backbone=dict(_delete_=True, type='IResNet', depth=50, embedding_size=512),
    head=dict(num_classes=8631, in_channels=512),
)
