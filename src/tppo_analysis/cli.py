"""The ``tppo`` command line.

Each subcommand lives in the module that owns its concern; that module provides
``configure_parser(parser)`` and ``run(args) -> int``. User mistakes (bad input files, bad options) raise
:class:`~tppo_analysis.errors.TppoError` and are printed as one clear message without a traceback.

    tppo validate PATH [--kind KIND]     check an input file against its schema
    tppo report [--data-dir PATH --out DIR]   run the notebooks and render the HTML report
    tppo scan [PATH ...]                 look for personal identifiers in committed outputs
    tppo aggregate ...                   record-level data -> office x month / village x month panels
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import TppoError

#: subcommand -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("tppo_analysis.validate", "check an input file against its schema and list every problem"),
    "report": ("tppo_analysis.report", "run the notebooks and render the static HTML report"),
    "scan": ("tppo_analysis.scan", "scan notebooks, data and figures for personal identifiers"),
    "aggregate": ("tppo_analysis.aggregate", "aggregate record-level data into monthly panels (DuckDB)"),
}


def build_parser() -> argparse.ArgumentParser:
    from .provenance import package_version

    parser = argparse.ArgumentParser(prog="tppo", description="tppo-analysis command line")
    parser.add_argument("--version", action="version", version=f"tppo-analysis {package_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            p.set_defaults(_module=None, _missing=module_name)
            continue
        module.configure_parser(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    if args._module is None:
        print(f"tppo {args.command}: not available in this version ({args._missing} missing)", file=sys.stderr)
        return 2
    try:
        return int(args._module.run(args) or 0)
    except TppoError as exc:
        print(f"tppo {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"tppo {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
