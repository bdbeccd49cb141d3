# Int8 + 52% sparse landmarks-regression-retail-0009: the sparsity recipe
# (landmarks-regression-retail-0009_sparsity52_lfw.py) with the backbone also quantised;
# weights, masks and quantizer ranges fine-tuned together from the converted checkpoint.
_base_ = ['landmarks-regression-retail-0009_sparsity52_lfw.py']

model = dict(type='QuantizationAwareTraining', quantization=_base_.quantization)
