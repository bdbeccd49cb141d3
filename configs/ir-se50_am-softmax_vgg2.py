# IR-SE-50 (IResNet-50 with squeeze-excitation) in the VGGFace2 AM-softmax recipe.
_base_ = ['iresnet50_am-softmax_vgg2.py']

model = dict(backbone=dict(se=True))
