# The quick recogniser tested on LFW aligned with landmarks predicted by a
# LandNet checkpoint instead of the landmark file. LFW's funneled images frame
# every face alike, so LandNet sees a fixed box (a square around LFW's mean
# landmarks, side 2 x their extent), as a detector's box would give it.
_base_ = ['mobilefacenet_celeba_quick.py']

landnet_config = 'configs/landnet_lfw_celeba.py'
landnet_checkpoint = 'work_dirs/landnet_lfw_celeba/epoch_8.pth'
lfw_face_box = (0.313, 0.352, 0.697, 0.736)

lfw_landnet_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='LandmarksFromModel',
        config=landnet_config,
        checkpoint=landnet_checkpoint,
        pipeline=[
            dict(type='FixedFaceBox', box=lfw_face_box),
            dict(type='CropFaceBox', output_size=48, box_source='bbox'),
        ],
    ),
    dict(type='AlignFace', output_size=64),
    dict(type='PackFaceInputs'),
]
val_dataloader = dict(dataset=dict(landmark_file=None, pipeline=lfw_landnet_pipeline))
test_dataloader = val_dataloader
