# MobileNetV2 (ImageNet table, ReLU6, no SE) with the face GDC embedding layer, 256-d embedding.
_base_ = ['face_recognizer.py']

model = dict(
    backbone=dict(type='MobileNetV2Face', embedding_size=256),
    head=dict(in_channels=256),
)
