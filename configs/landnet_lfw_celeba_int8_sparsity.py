# Int8 + 52% sparse quick LandNet (landnet_lfw_celeba.py): the quick sparsity recipe
# (landnet_lfw_celeba_sparsity.py: masked 1% -> 52% over 2 epochs) with the backbone then
# quantised; weights, masks and quantizer ranges fine-tuned together for 4 epochs from the fp32
# checkpoint (set load_from).
_base_ = ['landnet_lfw_celeba_sparsity.py', '_base_/compression/int8.py']

model = dict(type='QuantizationAwareTraining', quantization=_base_.quantization)
