# 1:N identification with the released recogniser: the LFW people with at least 4 images
# (610 people, 6,733 images); the first image of each is the gallery, the others probes.
_base_ = ['face-reidentification-retail-0095.py']

test_dataloader = dict(
    dataset=dict(type='ImageFolderIdentities', ann_file='', min_images_per_identity=4)
)
test_evaluator = dict(_delete_=True, type='IdentificationMetric')
