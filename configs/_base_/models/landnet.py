# LandNet: 48x48 face crop -> 5 points in [0, 1] of the crop, wing loss.
model = dict(
    type='LandmarkRegressor',
    data_preprocessor=dict(
        type='FaceDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[128.0, 128.0, 128.0],
        bgr_to_rgb=True,
    ),
    backbone=dict(type='LandNet', num_points=5, input_size=48),
    loss=dict(type='WingLoss', w=10.0, epsilon=2.0, scale=48.0),
)
