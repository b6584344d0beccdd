"""hhir_mediapipe: offline pretrained person segmentation and poses from the mediapipe wheel.

BlazePose (pose detector + full landmark model) and the selfie-segmentation model ship
inside ``mediapipe==0.10.21``; nothing is downloaded. mediapipe is an optional extra
(``pip install 'hhir[mediapipe]'``); see docs/mediapipe.md.
"""
