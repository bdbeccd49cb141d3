# The quick CelebA run (MobileFaceNet-SE 1x at 64x64, AM-softmax, 2760 identities) with a
# Partial FC head sampling half of each rank's centres per step, for a CPU check of
# `torchrun --nproc_per_node=2 tools/train.py configs/mobilefacenet_pfc_celeba_quick.py
# --launcher pytorch`.
_base_ = ['mobilefacenet_celeba_quick.py']

model = dict(
    head=dict(
        _delete_=True,
        type='PartialFCHead',
        num_classes=2760,
        in_channels=256,
        margin=dict(type='CosFaceMargin', m=0.35),
        s=30.0,
        sample_rate=0.5,
    )
)
model_wrapper_cfg = dict(type='facerec.ShardedDistributedDataParallel', broadcast_buffers=False)
default_hooks = dict(checkpoint=dict(type='ShardedCheckpointHook'))
