# The reference MobileFaceNet-SE recipe on VGGFace2 (mobilefacenet_vgg2.py) with a SphereFace
# head (A-softmax, multiplicative angular margin m=4). As in SphereFace the logits are scaled by
# the feature norm (s=None) and the margin is annealed from a plain softmax:
# lambda = max(5, 1000 / (1 + 0.12 * iteration)).
_base_ = [
    '_base_/models/mobilefacenet.py',
    '_base_/datasets/vggface2.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

model = dict(
    head=dict(
        type='SphereFaceHead',
        num_classes=8631,
        m=4,
        s=None,
        base=1000.0,
        gamma=0.12,
        power=1.0,
        lambda_min=5.0,
    )
)
