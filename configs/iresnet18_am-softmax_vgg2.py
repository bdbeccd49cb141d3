# IR-18 in the VGGFace2 AM-softmax recipe.
_base_ = ['iresnet50_am-softmax_vgg2.py']

model = dict(backbone=dict(depth=18))
