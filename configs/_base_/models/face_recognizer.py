# A face recogniser without a backbone: inputs scaled to about [-1, 1] (RGB), flip test, and the
# recipe's AM-softmax head (s=30, m=0.35). Architecture bases add the backbone and the head's
# in_channels; leaves set the head's num_classes (the training identities).
model = dict(
    type='FaceRecognizer',
    data_preprocessor=dict(
        type='FaceDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[128.0, 128.0, 128.0],
        bgr_to_rgb=True,
    ),
    head=dict(type='AMSoftmaxHead', s=30.0, m=0.35, loss=dict(type='CrossEntropyLoss')),
    test_cfg=dict(flip=True),
)
