# The CelebA landmark test on the shared data: the first 330 aligned images, stored at half
# size (89x109, official coordinates x 0.5); 320 of them are present.
_base_ = ['celeba_landmarks.py']

celeba_subset = dict(
    ann_file='list_landmarks_align_celeba_000001-000330.csv',
    data_prefix='img_align_celeba_89x109',
    partition_file=None,
    split='all',
    scale=0.5,
    skip_missing_images=True,
)
val_dataloader = dict(dataset=celeba_subset)
test_dataloader = dict(dataset=celeba_subset)
