# The reference toolkit's released LandNet, Open Model Zoo
# landmarks-regression-retail-0009 (published normalised error 0.0705 on VGGFace2):
# 48x48 BGR 0-255 face crop -> 5 points in [0, 1] of the crop, the reference layout of
# LandNet (arch='reference': input batch norm, convolution + PReLU + pooling + batch norm
# blocks). Evaluated on the 320 CelebA aligned images with official landmarks, cropped
# as the project's own LandNet is (configs/landnet_lfw_celeba.py).
#   python tools/model_converters/openvino_to_facerec.py THIS_CONFIG MODEL.xml OUT.pth
# with MODEL.xml the FP32 IR in ../shared/models/omz/landmarks-regression-retail-0009/
# and OUT.pth = work_dirs/pretrained/landmarks-regression-retail-0009.pth
_base_ = [
    '../_base_/models/landnet.py',
    '../_base_/datasets/celeba_landmarks_330.py',
    '../_base_/default_runtime.py',
]

model = dict(
    # BGR 0-255 in: the scaling is the model's input batch norm.
    data_preprocessor=dict(mean=None, std=None, bgr_to_rgb=False),
    backbone=dict(arch='reference'),
)

val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
