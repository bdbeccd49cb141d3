# The reference MobileFaceNet-SE recipe on VGGFace2 with an ArcFace head
# (additive angular margin, s=64, m=0.5) instead of AM-softmax.
_base_ = ['mobilefacenet_vgg2.py']

model = dict(
    head=dict(
        _delete_=True,
        type='ArcFaceHead',
        num_classes=8631,
        in_channels=256,
        s=64.0,
        m=0.5,
        loss=dict(type='CrossEntropyLoss'),
    )
)
