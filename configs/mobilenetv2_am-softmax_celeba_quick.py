# The quick CPU run with a plain MobileNetV2 (ReLU6, no SE) and the face GDC
# embedding head instead of MobileFaceNet.
_base_ = ['mobilefacenet_celeba_quick.py']

model = dict(
    backbone=dict(_delete_=True, type='MobileNetV2Face', embedding_size=256, input_size=64)
)
