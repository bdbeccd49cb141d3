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
#
# The head, the CelebA train dataloader and the schedule are only there for fine-tuning
# from the converted weights (`load_from`); the converted checkpoint holds the backbone
# alone, and testing does not need a head.
_base_ = [
    '../_base_/datasets/celeba_aligned.py',
    '../_base_/datasets/lfw.py',
    '../_base_/schedules/sgd_step.py',
    '../_base_/default_runtime.py',
]

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
    # Fine-tuning only (2,760 CelebA identities with 2+ images, the base train split).
    head=dict(
        type='AMSoftmaxHead',
        num_classes=2760,
        in_channels=128,
        s=30.0,
        m=0.35,
        loss=dict(type='CrossEntropyLoss'),
    ),
    test_cfg=dict(flip=False),
)

load_from = None
# Fine-tuning: a small learning rate, a few epochs.
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=4, eta_min=1e-4),
]
train_cfg = dict(max_epochs=4, val_interval=4)
