# The reference recipe: MobileFaceNet-SE 1x, 256-d embedding, AM-softmax
# (s=30, m=0.35), SGD lr 0.4, batch 256, trained on VGGFace2 (8631 training
# identities) and evaluated on LFW.
_base_ = [
    '_base_/models/mobilefacenet.py',
    '_base_/datasets/vggface2.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=8631))
