# Magnitude sparsity of the backbone with the reference schedule: 1% of the weights masked at
# the start, raised exponentially to 52% over 5 epochs (one threshold over all layers), then
# training at 52%; batch-norm statistics re-estimated on 10 training batches after masking.
sparsity = dict(
    init=0.01,
    target=0.52,
    steps=5,
    schedule='exponential',
    by_epoch=True,
    mode='global',
    bn_adaptation_batches=10,
)
