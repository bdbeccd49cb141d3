# The CelebA aligned training images (all of the train split, labels unused) prepared for the
# released face-reidentification-retail-0095 and its compressed versions: 128x128 crops on its
# own 5-point template, BGR 0-255, plus the same crop as the teacher's view for distillation
# from the fp32 model (TeacherView + PackTeacherInputs).
_base_ = ['celeba_aligned.py']

teacher_view = dict(
    type='TeacherView', output_size=128, template='openvino', border_mode='replicate'
)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TeacherView', output_size=128, template='openvino', border_mode='replicate'),
    dict(type='AlignFace', output_size=128, template='openvino', border_mode='replicate'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackTeacherInputs'),
]
train_dataloader = dict(
    batch_size=32,
    dataset=dict(min_images_per_identity=1, pipeline=train_pipeline),
)
