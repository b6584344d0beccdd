"""tools/ablate.py: grid + config variants, seeds, resumable, table/CSV/chart outputs."""
from __future__ import annotations

import csv
import subprocess

from helpers import PYTHON, REPO, TOY_PLUGIN, env_with_path

TOY = TOY_PLUGIN / "hhir_toy" / "configs" / "toy.py"


def test_ablate_grid_and_configs(tmp_path):
    base = tmp_path / "base.py"
    base.write_text(f"_base_ = [{str(TOY)!r}]\ntrain_cfg = dict(max_iters=10, val_interval=10)\n"
                    f"ablation_base = {str(TOY)!r}\n")
    variant = tmp_path / "narrow.py"  # inherits the 60-iteration toy: overrides must apply
    variant.write_text(f"_base_ = [{str(TOY)!r}]\nmodel = dict(hidden=3)\n")
    out = tmp_path / "out"
    cmd = [PYTHON, str(REPO / "tools" / "ablate.py"), str(base), "--grid", "model.hidden=2,16",
           "--configs", str(variant), "--seeds", "2", "--out", str(out)]
    env = env_with_path(TOY_PLUGIN)
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stderr[-3000:]
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert [r["variant"] for r in rows] == ["baseline", "hidden=2", "hidden=16", "narrow"]
    assert all(r["seeds"] == "2" and r["top1_mean"] for r in rows)
    assert "--cfg-options model.hidden=2" in rows[1]["command"]
    assert (out / "results.png").stat().st_size > 1000
    assert "±" in (out / "results.md").read_text()
    # what base.py changes relative to its ablation_base applied to the variant: 10 iterations, not 60
    assert (out / "narrow" / "seed0" / "iter_10.pth").exists()
    assert not list((out / "narrow" / "seed0").glob("iter_60.pth"))
    # a second invocation re-runs nothing
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0
    assert second.stdout.count("done already") == 8
    assert "[ablate] running" not in second.stdout
