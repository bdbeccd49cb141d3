# Int8 + 52% sparse LandNet (landnet_ngd.py): the sparsity recipe (landnet_ngd_sparsity.py:
# masked 1% -> 52% over 5 epochs) with the backbone then quantised; weights, masks and quantizer
# ranges are fine-tuned together from the fp32 checkpoint.
_base_ = ['landnet_ngd_sparsity.py', '_base_/compression/int8.py']

model = dict(type='QuantizationAwareTraining', quantization=_base_.quantization)
