# The reference toolkit's released face recogniser, Open Model Zoo
# face-reidentification-retail-0095 (published LFW 99.47 %): MobileFaceNet 1x with
# squeeze-excitation (ratio 8, PReLU inside), single-slope PReLUs, a batch norm of the
# input colours, 128x128 BGR 0-255 input aligned to its own 5-point template, and a
# 256-d embedding taken straight from the last 1x1 convolution (no batch norm after it:
# the converter loads an identity one). Take it in with
#   python tools/model_converters/openvino_to_facerec.py THIS_CONFIG MODEL.xml OUT.pth
# with MODEL.xml the FP16 IR in ../shared/models/omz/face-reidentification-retail-0095/
# and OUT.pth = work_dirs/pretrained/face-reidentification-retail-0095.pth
# or run the IR itself with `tools/test.py THIS_CONFIG MODEL.xml --backend openvino`.
_base_ = ['../_base_/datasets/lfw.py', '../_base_/default_runtime.py']

model = dict(
    type='FaceRecognizer',
    # BGR 0-255 in: the scaling is the model's input batch norm.
    data_preprocessor=dict(type='FaceDataPreprocessor', mean=None, std=None, bgr_to_rgb=False),
    backbone=dict(
        type='MobileFaceNet',
        embedding_size=256,
        input_size=128,
        act='PReLU',
        use_se=True,
        se_ratio=8,
        se_act='PReLU',
        input_norm=True,
    ),
    test_cfg=dict(flip=False),
)

lfw_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='AlignFace', output_size=128, template='openvino'),
    dict(type='PackFaceInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=lfw_pipeline))
test_dataloader = val_dataloader
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
