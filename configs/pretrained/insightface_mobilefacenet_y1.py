# insightface's MobileFaceNet (ArcFace loss, MS1M; published LFW 99.50 %), released as
# an OpenVINO IR converted from MXNet: no squeeze-excitation, per-channel PReLUs, 112x112
# BGR 0-255 input aligned to the ArcFace template, 128-d embedding. The IR scales the
# input itself ((x - 127.5) / 128, loaded as the input batch norm) and has the BGR to RGB
# swap folded into its first convolution, so the data preprocessor only casts.
#   python tools/model_converters/openvino_to_facerec.py THIS_CONFIG \
#     ../shared/models/insightface_mobilefacenet_y1/model-y1-0000.xml \
#     work_dirs/pretrained/insightface_mobilefacenet_y1.pth
_base_ = ['../_base_/datasets/lfw.py', '../_base_/default_runtime.py']

model = dict(
    type='FaceRecognizer',
    data_preprocessor=dict(type='FaceDataPreprocessor', mean=None, std=None, bgr_to_rgb=False),
    backbone=dict(
        type='MobileFaceNet',
        embedding_size=128,
        input_size=112,
        act='PReLU',
        use_se=False,
        input_norm=True,
    ),
    test_cfg=dict(flip=False),
)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
