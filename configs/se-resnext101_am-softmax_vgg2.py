# SE-ResNeXt-101 (32x4d) in the VGGFace2 AM-softmax recipe.
_base_ = ['se-resnext50_am-softmax_vgg2.py']

model = dict(backbone=dict(depth=101))
