# The offline real-video front end (hhir_mediapipe, docs/mediapipe.md) with every option
# spelled out at its default. Used by
#   python tools/data/extract_poses.py VIDEOS --out poses.pkl --config configs/_base_/mediapipe_frontend.py
# (its `segmenter` dict also fits any config's `segmenter`, e.g. for tools/infer.py).
segmenter = dict(
    type='MediaPipePersonSegmenter',
    max_side=960,            # frames processed at most this large (BlazePose's landmark input is 256 px)
    threshold=0.5,           # selfie-model person probability above which a pixel is a person's
    model_selection=0,       # 0: general selfie model (256x256), 1: landscape (144x256)
    max_reach=0.25,          # person pixels farther than this (body heights) from every skeleton are background
    crop_pad=0.15,           # padding of a person's search window (fraction of its box's larger side)
    max_cost=0.25,           # largest frame-to-frame mean joint distance (person heights) of one identity
    min_detection_confidence=0.5)
pose_source = dict(
    type='MediaPipePoseSource',
    layout='nturgb+d',       # 'coco' (17 2-D px), 'mediapipe33' (33 2-D px) or 'nturgb+d' (25 3-D m)
    num_persons=2,
    detector='blazepose',    # or 'boxes' (sample['boxes']) or a segmenter config dict
    max_side=960,
    crop_pad=0.15,
    max_cost=0.25,
    min_detection_confidence=0.5,
    min_presence_confidence=0.5,
    focal_px=None)           # 3-D layout: camera focal length in px (None: Kinect v2 colour camera)
