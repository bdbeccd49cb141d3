# SE-ResNet-152 in the VGGFace2 AM-softmax recipe.
_base_ = ['se-resnet50_am-softmax_vgg2.py']

model = dict(backbone=dict(depth=152))
