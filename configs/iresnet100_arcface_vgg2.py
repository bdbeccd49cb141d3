# IResNet-100 (IR-100) with a 512-d embedding and an ArcFace head (s=64,
# m=0.5) on VGGFace2, LFW test. The learning rate is 0.1 instead of the
# recipe's 0.4 (0.1 is the SGD default of insightface's ArcFace training of
# IResNets); the rest is the VGGFace2 recipe.
_base_ = [
    '_base_/models/iresnet.py',
    '_base_/datasets/vggface2.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

model = dict(
    backbone=dict(depth=100),
    head=dict(type='ArcFaceHead', num_classes=8631, s=64.0, m=0.5),
)
optim_wrapper = dict(optimizer=dict(lr=0.1))
