# IResNet-50 (IR-50, ArcFace's improved residual network) with a 512-d
# embedding in the VGGFace2 AM-softmax recipe (s=30, m=0.35, SGD lr 0.4,
# batch 256, LFW test).
_base_ = [
    '_base_/models/iresnet.py',
    '_base_/datasets/vggface2.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=8631))
