# The reference MobileFaceNet-SE AM-softmax recipe on VGGFace2 (mobilefacenet_vgg2.py) with
# support-vector hard-example mining (SV-AM-softmax, t=1.1), small auxiliary center and push
# losses, and identity-balanced sampling (every identity is drawn equally often, whatever its
# number of images).
_base_ = [
    '_base_/models/mobilefacenet.py',
    '_base_/datasets/vggface2.py',
    '_base_/datasets/lfw.py',
    '_base_/schedules/sgd_step.py',
    '_base_/default_runtime.py',
]

num_classes = 8631
model = dict(
    head=dict(num_classes=num_classes, mining_type='sv', t=1.1),
    aux_losses=[
        dict(type='CenterLoss', num_classes=num_classes, in_channels=256, loss_weight=0.01),
        # Only the classes of the batch, which keeps the pairwise matrix small.
        dict(type='PushLoss', margin=0.0, batch_classes_only=True, loss_weight=0.01),
    ],
)
# The identity-balanced sampler takes no `shuffle`: replace the default sampler's settings.
train_dataloader = dict(sampler=dict(_delete_=True, type='IdentityBalancedSampler'))
