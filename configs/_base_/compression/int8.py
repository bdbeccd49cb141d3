# Int8 quantisation of the backbone as the reference recipe did it: symmetric per-channel
# weights, symmetric signed per-tensor activations, ranges calibrated on 10 training batches.
quantization = dict(
    calibration_batches=10,
    weights=dict(mode='symmetric', per_channel=True),
    activations=dict(mode='symmetric', signed=True),
)
