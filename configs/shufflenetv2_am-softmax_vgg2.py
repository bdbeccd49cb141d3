# ShuffleNetV2 1x with a GDC head and a 256-d embedding in the VGGFace2
# AM-softmax recipe.
_base_ = [
    '_base_/models/face_recognizer.py',
    '_base_/datasets/vggface2.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

model = dict(
    backbone=dict(type='ShuffleNetV2', widen_factor=1.0, embedding_size=256),
    head=dict(num_classes=8631, in_channels=256),
)
