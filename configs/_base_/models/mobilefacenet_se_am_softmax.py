# MobileFaceNet-SE 1x with a 256-d embedding, trained with AM-softmax (s=30, m=0.35).
model = dict(
    type='FaceRecognizer',
    data_preprocessor=dict(
        type='FaceDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[128.0, 128.0, 128.0],
        bgr_to_rgb=True,
    ),
    backbone=dict(
        type='MobileFaceNet',
        widen_factor=1.0,
        embedding_size=256,
        use_se=True,
        act='PReLU',
        input_size=112,
    ),
    head=dict(
        type='AMSoftmaxHead',
        num_classes=1000,
        in_channels=256,
        s=30.0,
        m=0.35,
        loss=dict(type='CrossEntropyLoss'),
    ),
    test_cfg=dict(flip=True),
)
