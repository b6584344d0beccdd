"""The ``hhir`` command: inspect plugins, components, configs and the model zoo.

Listing is fast because plugins register lazy ``"module:Class"`` strings: no
torch-heavy module is imported to answer ``hhir plugins list``.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, List, Optional

from .errors import HHIRError


def _plugins_list(args: argparse.Namespace) -> int:
    from .interfaces.version import CONTRACT_VERSION
    from .plugins.manager import get_manager

    manager = get_manager()
    manager.load()
    rows = [info.as_dict() for info in manager.plugins.values()]
    for warning in manager.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no plugins installed (entry-point group 'hhir.plugins')")
    for row in rows:
        comps = ", ".join(f"{role}: {len(names)}" for role, names in sorted(row["components"].items()))
        print(f"{row['name']:<22} {row['version'] or '-':<9} {row['status']:<12} "
              f"contract {row['contract'] or 'undeclared':<10} {comps}")
        if row["error"]:
            label = "error" if row["status"] == "failed" else row["status"]
            print(f"{'':<22} {label}: {row['error']}")
    print(f"(core role contract {CONTRACT_VERSION})")
    return 0


def _plugins_check(args: argparse.Namespace) -> int:
    try:
        from .testing.cli_check import main as check_main
    except ImportError as exc:
        print(f"error: the conformance kit is unavailable: {exc}", file=sys.stderr)
        return 2
    argv = [args.dist] + (["--json"] if args.json else []) + list(args.check_args or [])
    return int(check_main(argv) or 0)


def _components(args: argparse.Namespace) -> int:
    from .plugins.manager import get_manager
    from .registry import REGISTRIES, iter_components, registry_for

    get_manager().load()
    if args.slots:
        from .interfaces.slots import format_slot_table, slot_table

        table = slot_table()
        if args.json:
            print(json.dumps(table, indent=2))
        else:
            print(format_slot_table(table, markdown=args.markdown))
        return 0
    roles = [registry_for(args.role).role] if args.role else list(REGISTRIES)
    rows = [dict(role=r, name=n, plugin=p) for r, n, p in iter_components(roles)]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        print(f"{row['role']:<15} {row['name']:<34} {row['plugin']}")
    return 0


def _config_show(args: argparse.Namespace) -> int:
    from .config import load_config, validate

    cfg = load_config(args.config, dict(args.cfg_options or {}))
    if args.validate:
        from .preflight import check_config, render_report

        validate(cfg)
        problems = check_config(cfg)
        if problems:
            print(render_report(args.config, problems, cfg), file=sys.stderr)
            return 1
    cfg.pop("_config_path", None)
    if not args.all:
        from mmengine.config import Config

        from .config import RUN_KEYS

        cfg = Config({k: v for k, v in cfg.items() if k in RUN_KEYS})
    print(cfg.pretty_text)
    return 0




def _check(args: argparse.Namespace) -> int:
    from .config import load_config, validate
    from .preflight import check_config, render_report

    cfg = load_config(args.config, dict(args.cfg_options or {}))
    validate(cfg)
    problems = check_config(cfg)
    print(render_report(args.config, problems, cfg))
    return 1 if problems else 0


def _zoo(args: argparse.Namespace) -> int:
    from .zoo import collect_zoo, render_markdown, validate_zoo

    entries = collect_zoo(args.configs_dir)
    problems = validate_zoo(entries)
    if args.check:
        for p in problems:
            print(f"hhir zoo: {p}", file=sys.stderr)
        print(f"{len(entries)} configs, {len(problems)} metadata problems")
        return 1 if problems else 0
    if args.json:
        print(json.dumps(entries, indent=2))
    else:
        print(render_markdown(entries))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from mmengine.config import DictAction

    parser = argparse.ArgumentParser(prog="hhir", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    plugins = sub.add_parser("plugins", help="installed plugins").add_subparsers(
        dest="plugins_command", required=True)
    p_list = plugins.add_parser("list", help="name, version, status, components per role")
    p_list.add_argument("--json", action="store_true", help='machine-readable output')
    p_list.set_defaults(func=_plugins_list)
    p_check = plugins.add_parser("check", help="run the conformance kit on a plugin/distribution")
    p_check.add_argument("dist", help="plugin (entry-point) or distribution name")
    p_check.add_argument("--json", action="store_true", help='machine-readable output')
    p_check.add_argument("check_args", nargs=argparse.REMAINDER,
                         help="passed to the kit: --role ROLE, --component NAME, -v")
    p_check.set_defaults(func=_plugins_check)

    comps = sub.add_parser("components", help="registered components")
    comps.add_argument("role", nargs="?", help="only this role (e.g. tokenizer)")
    comps.add_argument("--json", action="store_true", help='machine-readable output')
    comps.add_argument("--slots", action="store_true",
                       help="for every method's slot, the registered components whose contract fits")
    comps.add_argument("--markdown", action="store_true", help="with --slots: a Markdown table")
    comps.set_defaults(func=_components)

    config = sub.add_parser("config", help="configs").add_subparsers(dest="config_command",
                                                                     required=True)
    show = config.add_parser("show", help="print the fully resolved config")
    show.add_argument("config", help="config file, or plugin::path/to/config.py")
    show.add_argument("--cfg-options", nargs="+", action=DictAction, default={},
                      help="override config keys before printing")
    show.add_argument("--all", action="store_true",
                      help="also show the config's own variables (paper values a mini may not use)")
    show.add_argument("--validate", action="store_true",
                      help="also validate every component and check models/data exist")
    show.set_defaults(func=_config_show)

    check = sub.add_parser("check", help="list every missing model, dataset and extra of a "
                                         "config, each with the command that fixes it")
    check.add_argument("config", help="config file, or plugin::path/to/config.py")
    check.add_argument("--cfg-options", nargs="+", action=DictAction, default={},
                       help="override config keys before checking")
    check.set_defaults(func=_check)

    zoo = sub.add_parser("zoo", help="configs with the paper's and the measured numbers")
    zoo.add_argument("--configs-dir", default="configs", help="the configs folder")
    zoo.add_argument("--json", action="store_true", help="print the entries as JSON")
    zoo.add_argument("--check", action="store_true",
                     help="validate every config's zoo metadata; exit 1 listing the problems")
    zoo.set_defaults(func=_zoo)

    from .apis.cli import add_infer_parser

    add_infer_parser(sub)
    _plugin_commands(sub)
    return parser


def _plugin_commands(sub: Any) -> None:
    """Subcommands added by plugins (``hhir_register_commands``), each in isolation."""
    from .plugins.manager import get_manager

    manager = get_manager()
    manager.load()
    for impl in manager.pm.hook.hhir_register_commands.get_hookimpls():
        try:
            impl.function(subparsers=sub)
        except Exception as exc:  # a broken plugin never bricks the CLI
            print(f"warning: plugin {impl.plugin_name!r} could not add its commands: "
                  f"{type(exc).__name__}: {exc}", file=sys.stderr)


def main(argv: Optional[List[str]] = None) -> int:
    from .compat import silence_known_warnings

    silence_known_warnings()
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except HHIRError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `hhir components | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
