"""What every run records about itself (``provenance.json``)."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional


def git_revision(start: Optional[str] = None) -> Dict[str, Any]:
    """Commit and dirty flag of the repository containing ``start`` (or cwd)."""
    cwd = start or os.getcwd()
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True,
                             text=True, timeout=5)
        if rev.returncode != 0:
            return {"commit": None}
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, timeout=5).stdout.strip() != ""
        return {"commit": rev.stdout.strip(), "dirty": dirty}
    except Exception:
        return {"commit": None}


def plugin_requirements(manager: Any) -> Dict[str, List[str]]:
    """Each loaded plugin's ``hhir_requires()`` answer (what it needs at run time)."""
    out: Dict[str, List[str]] = {}
    for impl in manager.pm.hook.hhir_requires.get_hookimpls():
        try:
            out[impl.plugin_name] = [str(r) for r in (impl.function() or [])]
        except Exception as exc:  # provenance never fails a run
            out[impl.plugin_name] = [f"<hhir_requires failed: {type(exc).__name__}: {exc}>"]
    return out


def collect(cfg: Any, seed: Any = None) -> Dict[str, Any]:
    """Plugins and versions, resolved config and hash, git revision, seed, argv."""
    from ..config import _plain, config_hash
    from ..plugins.manager import get_manager

    manager = get_manager()
    manager.load()
    versions = {}
    for dist in ("torch", "mmengine", "transformers", "peft", "mmaction2", "numpy"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:
            versions[dist] = None
    config_path = (cfg.get("_config_path") if hasattr(cfg, "get") else None) \
        or getattr(cfg, "filename", None)  # the runner's copy drops _config_path
    repo_dir = str(Path(config_path).resolve().parent) if config_path else None
    requires = plugin_requirements(manager)
    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "argv": sys.argv,
        "config_path": config_path,
        "config_hash": config_hash(cfg),
        "config": _plain(cfg),
        "seed": seed,
        "git": git_revision(repo_dir),
        "plugins": {n: {"version": i.version, "dist": i.dist, "status": i.status,
                        "error": i.error, "requires": requires.get(n, [])}
                    for n, i in manager.plugins.items()},
        "packages": versions,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def write(path: str, cfg: Any, seed: Any = None) -> str:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        json.dump(collect(cfg, seed), f, indent=2, default=str)
    return path
