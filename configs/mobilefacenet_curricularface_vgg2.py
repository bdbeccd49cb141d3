# The reference MobileFaceNet-SE recipe on VGGFace2 (mobilefacenet_vgg2.py) with a
# CurricularFace head (ArcFace margin s=64, m=0.5; hard negatives weighted by the adaptive t, an
# exponential moving average of the target cosines with momentum 0.01).
_base_ = [
    '_base_/models/mobilefacenet.py',
    '_base_/datasets/vggface2.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

model = dict(head=dict(type='CurricularFaceHead', num_classes=8631, s=64.0, m=0.5, momentum=0.01))
