# The quick CPU run (mobilefacenet_celeba_quick.py) with a plain MobileNetV2 (ReLU6, no SE) and
# the face GDC embedding layer instead of MobileFaceNet.
_base_ = [
    '_base_/models/mobilenetv2.py',
    '_base_/datasets/celeba_aligned.py',
    '_base_/datasets/lfw_64x64.py',
    '_base_/schedules/sgd_cosine_6e.py',
    '_base_/default_runtime.py',
]

model = dict(backbone=dict(input_size=_base_.input_size), head=dict(num_classes=2760))
default_hooks = dict(logger=dict(interval=20))
