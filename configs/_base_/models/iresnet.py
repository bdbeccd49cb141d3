# IResNet-50 (IR-50, ArcFace's improved residual network), 512-d embedding; `depth` picks
# IR-18/34/50/100 and `se=True` gives IR-SE.
_base_ = ['face_recognizer.py']

model = dict(
    backbone=dict(type='IResNet', depth=50, embedding_size=512),
    head=dict(in_channels=512),
)
