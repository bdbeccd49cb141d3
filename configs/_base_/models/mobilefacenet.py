# MobileFaceNet-SE 1x (PReLU, squeeze-excitation), 256-d embedding, 112x112 input.
_base_ = ['face_recognizer.py']

model = dict(
    backbone=dict(
        type='MobileFaceNet',
        widen_factor=1.0,
        embedding_size=256,
        use_se=True,
        act='PReLU',
        input_size=112,
    ),
    head=dict(in_channels=256),
)
