# The quick CPU run of mobilefacenet_celeba_quick.py with an ArcFace head
# (s=32, m=0.4: a smaller scale and margin than the VGGFace2 recipe, for
# 2,760 identities with 2.6 images each).
_base_ = ['mobilefacenet_celeba_quick.py']

model = dict(
    head=dict(_delete_=True, type='ArcFaceHead', num_classes=2760, in_channels=256, s=32.0, m=0.4)
)
