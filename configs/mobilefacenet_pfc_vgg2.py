# The reference recipe (MobileFaceNet-SE 1x, 256-d, AM-softmax s=30 m=0.35, VGGFace2) with a
# Partial FC head: the 8631 class centres are split over the ranks of
# `torchrun --nproc_per_node=N tools/train.py configs/mobilefacenet_pfc_vgg2.py --launcher pytorch`,
# embeddings are gathered, and the softmax is reduced across ranks, so with sample_rate=1 the
# loss equals the replicated head's on the whole batch. The checkpoints hold the full head
# (same keys as AMSoftmaxHead) and resume on any number of ranks.
_base_ = ['mobilefacenet_vgg2.py']

model = dict(
    head=dict(
        _delete_=True,
        type='PartialFCHead',
        num_classes=8631,
        in_channels=256,
        margin=dict(type='CosFaceMargin', m=0.35),
        s=30.0,
        sample_rate=1.0,
    )
)
# The centres differ by rank: DDP must neither broadcast nor all-reduce them, and checkpoints
# gather them to rank 0. mmengine's runner looks the wrapper up in its own registry, hence
# the scope in the type.
model_wrapper_cfg = dict(type='facerec.ShardedDistributedDataParallel', broadcast_buffers=False)
default_hooks = dict(checkpoint=dict(type='ShardedCheckpointHook'))
