# Knowledge distillation: the quick 64x64 MobileFaceNet-SE (mobilefacenet_celeba_quick.py,
# 256-d) trained on the CelebA aligned images to follow the released
# face-reidentification-retail-0095 (256-d), run from its OpenVINO IR, next to its own
# AM-softmax loss on the identity labels.
#
# Each training image is aligned twice: TeacherView makes the teacher's 128x128 crop on its
# own 5-point template (BGR 0-255, the IR scales inside), AlignFace the student's 64x64
# ArcFace-template crop (RGB, normalised by the student's data preprocessor); the CelebA
# dataset gives every aligned image the mean CelebA landmarks (landmarks='mean').
# PackTeacherInputs packs the teacher's crop (mirrored with the student's random flip).
#
# The teacher is only loaded for training: `tools/test.py THIS_CONFIG CKPT` tests the student
# alone, and the checkpoints hold the student only. The IR is looked up under
# $FACEREC_MODELS (default ../shared/models, relative to the repository root); another
# teacher file: --cfg-options model.teacher.model=PATH.xml
_base_ = ['../mobilefacenet_celeba_quick.py']

models_root = '{{$FACEREC_MODELS:../shared/models}}'
teacher_ir = (
    models_root
    + '/omz/face-reidentification-retail-0095/FP16/face-reidentification-retail-0095.xml'
)
teacher_config = 'configs/pretrained/face-reidentification-retail-0095.py'

model = dict(
    _delete_=True,
    type='EmbeddingDistiller',
    student=_base_.model,
    teacher=dict(model=teacher_ir, config=teacher_config),
    distill_losses=[
        dict(type='CosineEmbeddingDistillLoss', loss_weight=10.0),
        dict(type='RelationalDistillLoss', loss_weight=10.0),
    ],
    head_loss_weight=1.0,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TeacherView', output_size=128, template='openvino', border_mode='replicate'),
    dict(type='AlignFace', output_size=_base_.input_size, border_mode='replicate'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackTeacherInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
