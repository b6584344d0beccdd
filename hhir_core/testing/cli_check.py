"""``hhir plugins check DIST [--json]``: run the conformance kit on a distribution.

``hhir_core.cli`` calls :func:`main` with the arguments after ``check``.
Exit codes: 0 every component conforms; 1 some check failed (or a plugin of
the distribution failed to load); 2 usage error or unknown distribution.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Optional, Sequence

from ..errors import HHIRError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hhir plugins check",
        description="Run the conformance kit (role contracts, gradients, determinism, config "
                    "and state-dict round-trips, import hygiene) on every role component an "
                    "installed plugin distribution registers.")
    p.add_argument("dist", help="distribution name (e.g. hhir-example-plugin), plugin "
                                "entry-point name, 'hhir' for the built-ins, or 'all'")
    p.add_argument("--json", action="store_true", help="print the structured report as JSON")
    p.add_argument("--role", action="append", default=None,
                   help="only components of this role (repeatable)")
    p.add_argument("--component", action="append", default=None, metavar="NAME",
                   help="only this registered name (repeatable)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="list passing checks too (text mode)")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the kit for ``argv`` (without the ``plugins check`` prefix); return the exit code."""
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    from .kit import check_dist

    def progress(ref) -> None:  # text mode only: long runs show life on stderr
        print(f"checking {ref.id} ...", file=sys.stderr, flush=True)

    try:
        report = check_dist(args.dist, roles=args.role, names=args.component,
                            progress=None if args.json else progress)
    except HHIRError as exc:
        if args.json:
            print(json.dumps(dict(dist=args.dist, ok=False, errors=[str(exc)], components=[]),
                             indent=2))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        print(report.format_text(verbose=args.verbose))
    return 0 if report.ok else 1


if __name__ == "__main__":  # python -m hhir_core.testing.cli_check DIST
    sys.exit(main())
