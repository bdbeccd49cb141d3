# The reference MobileFaceNet-SE recipe on VGGFace2 with a CurricularFace head
# (ArcFace margin s=64, m=0.5; hard negatives weighted by the adaptive t, an
# exponential moving average of the target cosines with momentum 0.01).
_base_ = ['mobilefacenet_vgg2.py']

model = dict(
    head=dict(
        _delete_=True,
        type='CurricularFaceHead',
        num_classes=8631,
        in_channels=256,
        s=64.0,
        m=0.5,
        momentum=0.01,
        loss=dict(type='CrossEntropyLoss'),
    )
)
