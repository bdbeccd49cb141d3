# LandNet evaluation on CelebA's aligned images with the official aligned
# landmarks. The aligned images all frame the face the same way, so the face
# box is fixed: a square around the mean aligned landmarks, side = 2 x their
# extent, written as fractions of the image (no per-image annotation is used).
celeba_lm_root = '{{$FACEREC_DATA:data}}'
celeba_face_box = (0.267, 0.416, 0.728, 0.792)

landmark_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='FixedFaceBox', box=celeba_face_box),
    dict(type='CropFaceBox', output_size=48, box_source='bbox'),
    dict(type='PackFaceInputs'),
]
celeba_landmarks_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CelebALandmarks',
        data_root=celeba_lm_root + '/celeba',
        ann_file='list_landmarks_align_celeba.txt',
        data_prefix='img_align_celeba',
        split='test',
        pipeline=landmark_test_pipeline,
    ),
)
val_dataloader = celeba_landmarks_dataloader
test_dataloader = celeba_landmarks_dataloader
val_evaluator = dict(type='LandmarksMetric', failure_threshold=0.1)
test_evaluator = val_evaluator
