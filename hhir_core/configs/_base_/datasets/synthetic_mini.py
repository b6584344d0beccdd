# The ONE definition of the mini synthetic benchmark shared by every *_mini config
# (hhir_core.data.synthetic.ensure_synthetic kwargs). All methods use the same folder,
# so it is generated once (render=True: videos, masks, branch clips, HHIRChat JSON too).
# Changing anything here regenerates the folder for everyone; keep it in sync with
# `make synthetic` / tools/data/make_synthetic.py defaults.
synthetic_mini = dict(
    out_dir='{{ fileDirname }}/../../../../data/synthetic_mini',  # <checkout>/data/synthetic_mini
    num_samples=2000,
    seed=0,
    render=True,
    difficulty=0.5,
)
