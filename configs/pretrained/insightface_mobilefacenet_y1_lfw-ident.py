# 1:N identification with insightface's MobileFaceNet: the LFW people with at least 4 images
# (610 people, 6,733 images); the first image of each is the gallery, the others probes.
_base_ = ['insightface_mobilefacenet_y1.py']

test_dataloader = dict(
    dataset=dict(type='ImageFolderIdentities', ann_file='', min_images_per_identity=4)
)
test_evaluator = dict(_delete_=True, type='IdentificationMetric')
