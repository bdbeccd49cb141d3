# Plain ResNet-50 (no SE) adapted to faces, in the VGGFace2 AM-softmax recipe.
_base_ = ['se-resnet50_am-softmax_vgg2.py']

model = dict(backbone=dict(type='ResNet'))
