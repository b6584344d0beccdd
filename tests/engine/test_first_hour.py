"""A newcomer's first commands: preflight, one-line tool errors, a quiet console, curves."""
from __future__ import annotations

import json
import subprocess

import pytest

from helpers import PYTHON, REPO, TOY_PLUGIN, env_with_path
from hhir_core.engine.console import format_metric, summary_line
from hhir_core.engine.curves import CURVES_FILE, write_curves
from hhir_core.preflight import hub_download_command

ENV = env_with_path(TOY_PLUGIN)


def _run(*args, timeout=300):
    return subprocess.run([PYTHON, *args], cwd=REPO, env=ENV, capture_output=True, text=True,
                          timeout=timeout)


def test_check_lists_every_missing_model_and_dataset_at_once():
    out = _run("-m", "hhir_core.cli", "check", "configs/llm_ar_ntu120.py")
    assert out.returncode == 1, out.stderr[-2000:]
    text = out.stdout
    assert "[weights]" in text and "huggyllama/llama-13b" in text
    assert "[data]" in text and "ntu120_3danno.pkl" in text and "ntu_skeleton_to_pkl.py" in text
    assert "huggingface-cli download" not in text and "hf download huggyllama/llama-13b" in text
    # the offline alternative is the mini config of the same method
    assert "configs/llm_ar_ntu120_mini.py" in text


def test_check_names_gated_access_and_the_right_mini_config():
    out = _run("-m", "hhir_core.cli", "check", "configs/ov_hhir_hhirchat.py")
    assert out.returncode == 1
    assert "[access]" in out.stdout and "auth login" in out.stdout
    assert "configs/ov_hhir_synthetic_mini.py" in out.stdout
    assert "llm_ar_ntu120_mini" not in out.stdout


def test_check_passes_on_an_offline_mini_config():
    out = _run("-m", "hhir_core.cli", "check", "configs/stgcn_ntu120_mini.py")
    assert out.returncode == 0, out.stdout + out.stderr[-2000:]
    assert ": ok" in out.stdout


def test_config_show_validate_fails_when_weights_or_data_are_missing():
    out = _run("-m", "hhir_core.cli", "config", "show", "--validate", "configs/llm_ar_ntu120.py")
    assert out.returncode != 0
    assert "huggyllama/llama-13b" in out.stderr and "ntu120_3danno.pkl" in out.stderr


def test_train_refuses_before_building_anything(tmp_path):
    out = _run("tools/train.py", "configs/llm_ar_ntu120.py", "--work-dir", str(tmp_path))
    assert out.returncode == 2
    assert "huggyllama/llama-13b" in out.stderr and "ntu120_3danno.pkl" in out.stderr
    assert "Traceback" not in out.stderr
    assert not list(tmp_path.iterdir())  # no checkpoint, log or provenance written


def test_gated_hub_ids_get_a_login_hint():
    assert "auth login" in hub_download_command("meta-llama/Llama-2-13b-chat-hf")
    assert "login" not in hub_download_command("openai/clip-vit-base-patch16")


def test_demo_help_runs_nothing():
    out = _run("tools/demo.py", "--help", timeout=60)
    assert out.returncode == 0
    assert "usage" in out.stdout.lower() and "finished" not in out.stdout
    assert "[demo]" not in out.stdout


@pytest.mark.parametrize("args", [[], ["configs/stgcn_ntu120_mini.py"], ["cfg.py", "two"]])
def test_dist_train_without_arguments_prints_usage(args):
    out = subprocess.run(["bash", str(REPO / "tools" / "dist_train.sh"), *args],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    assert "usage: tools/dist_train.sh CONFIG NPROC" in out.stderr
    assert "unbound variable" not in out.stderr


def test_summary_line_uses_percent_and_keeps_prefixed_metrics():
    line = summary_line({"ov_hhir/cosine": 0.301, "ov_hhir/top1": 0.114,
                         "tokenizer/recon": 0.02}, stage_names=["tokenizer"])
    assert line == "ov_hhir/cosine 0.301, ov_hhir/top1 11.4 %"
    assert format_metric("top1", 99.2) == "top1 99.2 %"  # already percent
    assert "no metrics" in summary_line({})


def test_curves_are_drawn_from_every_restart(tmp_path):
    for stamp, rows in (("20260101_000000", [{"loss": 2.0, "step": 10}, {"loss": 1.5, "step": 20}]),
                        ("20260101_010000", [{"loss": 1.0, "step": 30}, {"top1": 0.5, "step": 30}])):
        folder = tmp_path / stamp / "vis_data"
        folder.mkdir(parents=True)
        (folder / "scalars.json").write_text("\n".join(json.dumps(r) for r in rows) + "\n{cut")
    out = write_curves(str(tmp_path))
    assert out == tmp_path / CURVES_FILE and out.stat().st_size > 1000
    assert write_curves(str(tmp_path / "empty")) is None


def test_training_console_is_quiet_and_ends_with_the_summary(tmp_path):
    out = _run("tools/train.py", "hhir_toy::toy.py", "--work-dir", str(tmp_path), "--tensorboard")
    assert out.returncode == 0, out.stderr[-3000:]
    console = (out.stdout + out.stderr).replace("\r", "\n")
    lines = [line for line in console.splitlines() if line.strip()]
    assert not any("Environment info" in line or "Config:" in line for line in lines)
    assert not any("Failed to import" in line or "FileClient" in line for line in lines)
    assert out.stdout.strip().splitlines()[-2].startswith("[hhir] done: top1 ")
    assert (tmp_path / CURVES_FILE).is_file()
    assert json.loads((tmp_path / "provenance.json").read_text())["config_path"]
    logs = list(tmp_path.glob("*/*.log"))  # the tables still go to the log file
    assert logs and "Config:" in logs[0].read_text()
    assert list(tmp_path.glob("*/vis_data/events.out.tfevents.*"))  # --tensorboard


def test_ablate_dry_run_estimates_and_writes_nothing(tmp_path):
    out_dir = tmp_path / "ablate"
    out = _run("tools/ablate.py", "configs/llm_ar_ntu120_mini.py", "--configs",
               "configs/ablations/llm_ar/no_zipf.py", "configs/ablations/llm_ar/no_mmd.py",
               "--seeds", "2", "--dry-run", "--out", str(out_dir))
    assert out.returncode == 0, out.stderr[-2000:]
    assert "6 runs, estimated 84 min" in out.stdout  # 6 x the config's measured 14 min
    assert not out_dir.exists()


def test_ablate_refuses_a_variant_of_another_method(tmp_path):
    out = _run("tools/ablate.py", "configs/llm_ar_ntu120_mini.py", "--configs",
               "configs/ablations/pevl/no_ucmr.py", "--dry-run", "--out", str(tmp_path / "a"))
    assert out.returncode != 0
    assert "PeVLRecognizer" in out.stderr and "LLMARRecognizer" in out.stderr
    assert "Traceback" not in out.stderr


def test_config_show_of_a_mini_hides_the_paper_variables_it_does_not_use():
    short = _run("-m", "hhir_core.cli", "config", "show", "configs/llm_ar_ntu120_mini.py")
    full = _run("-m", "hhir_core.cli", "config", "show", "--all", "configs/llm_ar_ntu120_mini.py")
    assert short.returncode == 0 and full.returncode == 0
    assert "llama-13b" not in short.stdout and "llama-13b" in full.stdout
    assert "model = dict(" in short.stdout and "stages = [" in short.stdout
    assert len(short.stdout.splitlines()) < len(full.stdout.splitlines())


def test_skeleton_only_minis_do_not_render_video():
    from hhir_core.config import load_config

    for name in ("stgcn_ntu120_mini", "llm_ar_ntu120_mini", "llm_ar_ntu120_unseen_mini"):
        (step,) = load_config(f"configs/{name}.py").prepare_data
        assert step.render is False and step.progress is True, name
    for name in ("pevl_synthetic_mini", "ski_vificlip_ntu120_110_10_mini", "ov_hhir_synthetic_mini"):
        (step,) = load_config(f"configs/{name}.py").prepare_data
        assert step.render is True, name


def test_a_rendered_synthetic_set_serves_skeleton_only_configs(tmp_path):
    from hhir_synthetic.generator import ensure_synthetic

    out = ensure_synthetic(tmp_path / "syn", num_samples=16, seed=0, render=True)
    manifest = (out / "manifest.json").stat().st_mtime_ns
    ensure_synthetic(tmp_path / "syn", num_samples=16, seed=0, render=False)
    assert (out / "manifest.json").stat().st_mtime_ns == manifest  # not regenerated
    # the skeletons are the same as a skeleton-only generation's
    alone = ensure_synthetic(tmp_path / "alone", num_samples=16, seed=0, render=False)
    assert (alone / "ntu3d.pkl").read_bytes() == (out / "ntu3d.pkl").read_bytes()


def test_data_option_points_every_dataloader_at_one_folder(tmp_path):
    from hhir_core.config import load_config, retarget_data_root

    cfg = load_config("configs/stgcn_ntu120_mini.py")
    changed = retarget_data_root(cfg, str(tmp_path))
    for loader in ("train_dataloader", "val_dataloader", "test_dataloader"):
        assert cfg[loader].dataset.data_root == str(tmp_path)
    assert len(changed) >= 3 and cfg.prepare_data == []
    paper = load_config("configs/llm_ar_ntu120.py")
    retarget_data_root(paper, str(tmp_path / "ntu"))
    assert paper.train_dataloader.dataset.ann_file == str(tmp_path / "ntu" / "ntu120_3danno.pkl")
    stgcn = load_config("configs/stgcn_ntu120.py")  # the data half comes from a shared base
    retarget_data_root(stgcn, str(tmp_path / "ntu"))
    for loader in ("train_dataloader", "val_dataloader", "test_dataloader"):
        assert stgcn[loader].dataset.ann_file == str(tmp_path / "ntu" / "ntu120_3danno.pkl")


MINI_CONFIGS = sorted(str(p.relative_to(REPO)) for p in (REPO / "configs").glob("*_mini*.py"))


@pytest.mark.parametrize("config", MINI_CONFIGS)
def test_data_option_retargets_every_mini(config, tmp_path):
    """A mini inherits its paper config's data_root but reads the synthetic folder: --data moves
    what the dataloaders read, and no preparation step writes the old folder."""
    from hhir_core.config import _dataloader_roots, load_config, retarget_data_root

    cfg = load_config(config)
    assert _dataloader_roots(cfg), f"{config}: no dataloader reads a data_root"
    retarget_data_root(cfg, str(tmp_path))
    assert set(_dataloader_roots(cfg)) == {str(tmp_path)}
    assert cfg.prepare_data == []


def test_train_with_data_reads_another_synthetic_folder(tmp_path):
    data = tmp_path / "my_synthetic"
    made = _run("tools/data/make_synthetic.py", "--out", str(data), "--num-samples", "64")
    assert made.returncode == 0, made.stderr[-2000:]
    out = _run("tools/train.py", "configs/stgcn_ntu120_mini.py", "--data", str(data),
               "--work-dir", str(tmp_path / "work"), "--cfg-options", "train_cfg.max_epochs=1",
               timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    prov = json.loads((tmp_path / "work" / "provenance.json").read_text())
    assert prov["config"]["train_dataloader"]["dataset"]["data_root"] == str(data)
    assert not (data / "videos").exists()


TOOLS = sorted(str(p.relative_to(REPO)) for p in list((REPO / "tools").glob("*.py"))
               + list((REPO / "tools" / "data").glob("*.py")) if not p.name.startswith("_"))


def _options_without_help(text: str) -> list:
    """Option lines of an argparse --help with no description on the line or the next."""
    import re

    lines = text.splitlines()
    missing = []
    for i, line in enumerate(lines):
        m = re.match(r"^  (-\w, )?(--?[\w-]+)(\s[^\s].*)?$", line)
        if not m or (m.group(3) and "  " in m.group(3).strip()):
            continue  # not an option line, or the help follows on the same line
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if not re.match(r"^ {8,}\S", nxt) and m.group(2) not in ("-h", "--help"):
            missing.append(m.group(2))
    return missing


@pytest.mark.parametrize("tool", TOOLS)
def test_every_tool_help_runs_nothing_else_and_describes_each_flag(tool, tmp_path):
    out = subprocess.run([PYTHON, str(REPO / tool), "--help"], cwd=tmp_path, env=ENV,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.lower().startswith("usage:")
    assert _options_without_help(out.stdout) == [], tool
    assert not list(tmp_path.iterdir())  # --help wrote nothing


def test_plugins_add_commands_and_a_broken_one_does_not_brick_the_cli(tmp_path):
    from helpers import make_plugin

    make_plugin(tmp_path, "hhir_hello", '''
        from hhir_core.plugins import hookimpl

        @hookimpl
        def hhir_register_commands(subparsers):
            p = subparsers.add_parser("hello", help="say hello")
            p.set_defaults(func=lambda args: print("hello from a plugin") or 0)
        ''')
    make_plugin(tmp_path, "hhir_broken_cmd", '''
        from hhir_core.plugins import hookimpl

        @hookimpl
        def hhir_register_commands(subparsers):
            raise RuntimeError("boom")
        ''')
    env = env_with_path(tmp_path)
    out = subprocess.run([PYTHON, "-m", "hhir_core.cli", "hello"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "hello from a plugin" in out.stdout, out.stderr[-2000:]
    assert "hhir_broken_cmd" in out.stderr and "boom" in out.stderr


def test_infer_on_a_work_dir_with_an_outdated_config_is_one_line(tmp_path):
    work = tmp_path / "work"
    out = _run("tools/train.py", "hhir_toy::toy.py", "--work-dir", str(work))
    assert out.returncode == 0, out.stderr[-2000:]
    (dumped,) = list(work.glob("*.py"))  # the config mmengine dumped into the work dir
    dumped.write_text(dumped.read_text().replace("model = dict(", "model = dict(\n    removed_option=1,", 1))
    out = _run("-m", "hhir_core.cli", "infer", str(work), str(REPO / "README.md"))
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "removed_option" in out.stderr and str(dumped) in out.stderr


def test_make_synthetic_list_classes_needs_no_out_and_survives_a_closed_pipe():
    listed = _run("tools/data/make_synthetic.py", "--list-classes")
    assert listed.returncode == 0 and "A001" in listed.stdout, listed.stderr
    # the reader is gone before the first line is written (`| head` that has already exited)
    proc = subprocess.Popen([PYTHON, "-u", "tools/data/make_synthetic.py", "--list-classes"], cwd=REPO,
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "BrokenPipeError" not in err
    missing = _run("tools/data/make_synthetic.py")
    assert missing.returncode == 2 and "--out is required" in missing.stderr
    assert "Traceback" not in missing.stderr
