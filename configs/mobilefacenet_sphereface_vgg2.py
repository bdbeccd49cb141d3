# The reference MobileFaceNet-SE recipe on VGGFace2 with a SphereFace head
# (A-softmax, multiplicative angular margin m=4). As in SphereFace the logits
# are scaled by the feature norm (s=None) and the margin is annealed from a
# plain softmax: lambda = max(5, 1000 / (1 + 0.12 * iteration)).
_base_ = ['mobilefacenet_vgg2.py']

model = dict(
    head=dict(
        _delete_=True,
        type='SphereFaceHead',
        num_classes=8631,
        in_channels=256,
        m=4,
        s=None,
        base=1000.0,
        gamma=0.12,
        power=1.0,
        lambda_min=5.0,
        loss=dict(type='CrossEntropyLoss'),
    )
)
