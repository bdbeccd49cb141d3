# foamliu/MobileFaceNet (Apache-2.0), trained on MS1M; published LFW 99.48 %.
# The standard MobileFaceNet without squeeze-excitation: ReLU6 everywhere except the
# stem's depthwise-separable convolution (ReLU), 128-d embedding after the last batch norm.
# Input: 112x112 faces aligned to the ArcFace template, RGB, /255 then the ImageNet mean
# and std (written here in 0-255 units).
#
# Convert the released state dict (it is not part of the project) and test on LFW:
#   python tools/model_converters/mobilefacenet_state_dict_to_facerec.py \
#       configs/pretrained/mobilefacenet_foamliu_ms1m.py \
#       ../shared/models/foamliu_mobilefacenet/mobilefacenet.pt /tmp/foamliu.pth
#   python tools/test.py configs/pretrained/mobilefacenet_foamliu_ms1m.py /tmp/foamliu.pth \
#       --metric lfw
#
# Its own LFW protocol embeds each image once (no flip); flip test:
#   --cfg-options model.test_cfg.flip=True
# LFW view 2 here (deep-funneled images, 10 folds): accuracy 99.40 +- 0.25 %, AUC 0.9989
# (flip: 99.33 +- 0.30 %, AUC 0.9991).
_base_ = ['../_base_/datasets/lfw.py', '../_base_/default_runtime.py']

model = dict(
    type='FaceRecognizer',
    data_preprocessor=dict(
        type='FaceDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
    ),
    backbone=dict(
        type='MobileFaceNet',
        widen_factor=1.0,
        embedding_size=128,
        use_se=False,
        act='ReLU6',
        stem_pointwise=True,
        stem_act='ReLU',
        input_size=112,
        last_channels=512,
    ),
    test_cfg=dict(flip=False),
)

val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
