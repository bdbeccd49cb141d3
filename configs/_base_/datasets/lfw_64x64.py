# LFW view 2 as in lfw.py, aligned to a 64x64 template for models trained at that size
# (celeba_aligned.py). The validation and test loaders are reassigned here; `lfw_dataloader`
# itself keeps lfw.py's 112x112 pipeline.
_base_ = ['lfw.py']

lfw_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='AlignFace', output_size=64),
    dict(type='PackFaceInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=lfw_pipeline))
test_dataloader = val_dataloader
