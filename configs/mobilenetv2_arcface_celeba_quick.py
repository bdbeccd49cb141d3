# The quick CPU run with MobileNetV2 and an ArcFace head (s=32, m=0.4).
_base_ = ['mobilenetv2_am-softmax_celeba_quick.py']

model = dict(
    head=dict(_delete_=True, type='ArcFaceHead', num_classes=2760, in_channels=256, s=32.0, m=0.4)
)
