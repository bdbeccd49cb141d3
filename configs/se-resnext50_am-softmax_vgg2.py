# SE-ResNeXt-50 (32x4d) adapted to faces, 512-d embedding, in the VGGFace2
# AM-softmax recipe.
_base_ = [
    '_base_/models/se-resnext.py',
    '_base_/datasets/vggface2.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=8631))
