# The ONE definition of the mini synthetic benchmark shared by every *_mini config: the folder
# the datasets read (data_root) and the step that makes it (prepare_data; the hhir_synthetic
# plugin's SyntheticBenchmark, run by tools/train.py and tools/test.py before any dataset is
# built; the same as `python tools/data/make_synthetic.py --out data/synthetic_mini --render`).
# All methods use the same folder, so it is generated once (render=True: videos, masks,
# branch clips, HHIRChat JSON too). Changing anything here regenerates the folder for everyone.
synthetic_mini_root = '{{ fileDirname }}/../../../../data/synthetic_mini'  # <checkout>/data/synthetic_mini
synthetic_mini_params = dict(num_samples=2000, seed=0, difficulty=0.5)
prepare_data = [dict(type='SyntheticBenchmark', out_dir=synthetic_mini_root, render=True, progress=True,
                     **synthetic_mini_params)]
# Skeleton-only configs (ST-GCN, LLM-AR) use this instead: the same skeletons (the generator
# draws them before and independently of any rendering) without the 2 000 videos they never
# read; a folder already rendered for the video methods serves them as it is.
prepare_skeletons = [dict(type='SyntheticBenchmark', out_dir=synthetic_mini_root, render=False,
                          progress=True, **synthetic_mini_params)]
