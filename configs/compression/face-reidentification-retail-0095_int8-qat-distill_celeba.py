# Int8 quantisation-aware training of the released face-reidentification-retail-0095,
# distilled from its own fp32 model (the FP16 IR, labels unused) on the CelebA training
# images: calibrated as the post-training config, then one epoch at a small rate with the
# batch-norm statistics kept at the fp32 ones. Starts from the converted checkpoint
# ($M: the omz folder of $FACEREC_MODELS):
#   python tools/model_converters/openvino_to_facerec.py \
#       configs/pretrained/face-reidentification-retail-0095.py \
#       $M/face-reidentification-retail-0095/FP16/face-reidentification-retail-0095.xml \
#       work_dirs/pretrained/face-reidentification-retail-0095.pth
_base_ = [
    '../pretrained/face-reidentification-retail-0095.py',
    '../_base_/datasets/celeba_aligned_0095.py',
    '../_base_/compression/int8.py',
]

models_root = '{{$FACEREC_MODELS:../shared/models}}'
teacher = dict(
    model=models_root
    + '/omz/face-reidentification-retail-0095/FP16/face-reidentification-retail-0095.xml',
    config='configs/pretrained/face-reidentification-retail-0095.py',
)
model = dict(
    _delete_=True,
    type='EmbeddingDistiller',
    student=dict(
        type='QuantizationAwareTraining',
        architecture=_base_.model,
        quantization=_base_.quantization,
        norm_eval=True,
    ),
    teacher=teacher,
    distill_losses=[dict(type='CosineEmbeddingDistillLoss', loss_weight=10.0)],
    head_loss_weight=0.0,
)
load_from = 'work_dirs/pretrained/face-reidentification-retail-0095.pth'

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-5, weight_decay=0.0))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end=1,
        eta_min=1e-7,
        convert_to_iter_based=True,
    )
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1, val_interval=1)
custom_hooks = [*_base_.custom_hooks, dict(type='CompressionHook')]
