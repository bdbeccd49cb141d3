# IR-SE-50 (IResNet-50 with squeeze-excitation) in the VGGFace2 AM-softmax recipe.
_base_ = [
    '_base_/models/iresnet.py',
    '_base_/datasets/vggface2.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

model = dict(backbone=dict(se=True), head=dict(num_classes=8631))
