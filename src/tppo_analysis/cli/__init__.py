"""The ``tppo`` command line: one parser for every subcommand, each with a thin run function.

    tppo validate PATH [--kind KIND]     check an input file against its schema (errors and warnings)
    tppo add-figure --measure M ...      add one reported figure to the public record, as the article states it
    tppo report [--data-dir PATH --out DIR]   run the notebooks and render the HTML report
    tppo scan [PATH ...]                 look for personal identifiers in committed outputs
    tppo aggregate ...                   record-level data -> office x month / village x month panels

User mistakes (bad input files, bad options) raise :class:`~tppo_analysis.errors.TppoError` and are printed as one
clear message without a traceback.

``tppo validate`` (:func:`validate_file`) lives here rather than beside the validation machinery in
:mod:`tppo_analysis.sources.validation`: it calls the loaders, and the loaders use that machinery. Kinds:
``public_record`` (the cited public record), ``desa_binaan`` (the Desa Binaan roster) and the restricted extracts of
:data:`tppo_analysis.sources.schemas.RESTRICTED_KINDS` (e.g. ``deferral_records``, ``village_panel``). Without
``--kind`` the kind is inferred from the header. Errors and warnings are listed apart (file, line — the header is
line 1 — column, value, reason); exit status 1 when there is an error, 0 otherwise (warnings do not fail a file).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .. import paths
from ..errors import DataValidationError, IdentifierError, Problem, TppoError, display_path
from ..output.report import build as report
from ..privacy import scan
from ..provenance import package_version
from ..sources import extracts
from ..sources.public_record import load_public_record, record_warnings
from ..sources.roster import load_desa_binaan
from ..sources.schemas import REQUIRED_COLUMNS, RESTRICTED_KINDS
from ..sources.validation import finish, missing_column_problems, read_text_table, schema_problems
from .add_figure import configure_add_figure, run_add_figure

__all__ = ["main", "build_parser", "validate_file", "infer_kind", "kinds", "VALIDATE_KINDS"]


# --------------------------------------------------------------------------------------------------------------------
# tppo validate
# --------------------------------------------------------------------------------------------------------------------


def _restricted(kind: str) -> Callable[[Path], pd.DataFrame]:
    def check(path: Path) -> pd.DataFrame:
        df = read_text_table(path)
        file = display_path(path)
        problems = missing_column_problems(df, REQUIRED_COLUMNS[kind], file)
        if not problems:
            problems = schema_problems(df, RESTRICTED_KINDS[kind], file)
        return finish(df, problems, file=file, on_error="raise", convert=lambda d: d)

    return check


def kinds() -> dict[str, Callable[[Path], pd.DataFrame]]:
    """Every kind ``tppo validate`` knows, mapped to a checker returning the validated frame."""
    out: dict[str, Callable[[Path], pd.DataFrame]] = {
        "public_record": load_public_record,
        "desa_binaan": load_desa_binaan,
    }
    for name in RESTRICTED_KINDS:
        out[name] = _restricted(name)
    return out


VALIDATE_KINDS = ("public_record", "desa_binaan")  # plus the restricted kinds, see kinds()

_SIGNATURES = {
    "public_record": {"figure_id", "measure", "period_end", "source_url"},
    "desa_binaan": {"village", "launch_date", "launch_date_precision"},
}


def infer_kind(path: str | Path) -> str:
    """Guess the kind of an input file from its header line.

    Parameters
    ----------
    path : str or Path
        The input file (CSV).

    Returns
    -------
    str
        The kind whose required columns the header holds (a key of :func:`kinds`).
    """
    header = set(read_text_table(path).columns)
    candidates = [k for k, cols in _SIGNATURES.items() if cols <= header]
    for name, schema in RESTRICTED_KINDS.items():
        required = {c for c, col in schema.columns.items() if col.required}
        if required and required <= header:
            candidates.append(name)
    if len(candidates) == 1:
        return candidates[0]
    known = ", ".join(sorted(kinds()))
    if not candidates:
        raise TppoError(
            f"{display_path(path)}: cannot tell what kind of file this is from its header; "
            f"pass --kind (one of: {known})"
        )
    raise TppoError(f"{display_path(path)}: header fits several kinds ({', '.join(candidates)}); pass --kind")


def validate_file(path: str | os.PathLike, kind: str | None = None) -> tuple[str, int, list[str]]:
    """Validate one file; return ``(kind, number of rows, read notes)`` or raise with every problem.

    The read notes say what was normalised on reading (encoding, separator, skipped blank lines), so nothing changes
    without being said.

    Parameters
    ----------
    path : str or os.PathLike
        The input file (CSV).
    kind : str, optional
        The file kind (a key of :func:`kinds`); inferred from the header when None.
    """
    p = Path(path)
    available = kinds()
    kind = kind or infer_kind(p)
    if kind not in available:
        raise TppoError(f"unknown kind {kind!r}; choose one of: {', '.join(sorted(available))}")
    found = _identifier_problems(p, kind)
    try:
        result = available[kind](p)
    except DataValidationError as exc:
        masked = {(q.line, q.column): q.value for q in found}
        rest = [
            Problem(q.file, q.line, q.column, masked.get((q.line, q.column), q.value), q.reason) for q in exc.problems
        ]
        err = (IdentifierError if found else DataValidationError)(found + rest, file=exc.file)
        err.warnings = record_warnings(p) if kind == "public_record" else []  # type: ignore[attr-defined]
        raise err from None
    if found:
        raise IdentifierError(found, file=display_path(p))
    notes = list(getattr(result, "attrs", {}).get("read_notes", []))
    return kind, len(result), notes


def _identifier_problems(path: Path, kind: str) -> list:
    """Identifier-named columns and identifier-shaped values anywhere in the file (every row, every column).

    Restricted extracts are checked cell by cell (a cell that is a person's name counts); the public record's free
    text by the text rules (names count next to identifying words; officials named with their office are exempt).
    """
    from ..privacy.identifiers import identifier_column_kind, value_problems

    try:
        df = read_text_table(path)
    except (TppoError, DataValidationError):
        return []
    file = display_path(path)
    named = [
        Problem(file, 1, str(c), None, f"column looks like a personal identifier ({k}); remove it")
        for c in df.columns
        if (k := identifier_column_kind(c))
    ]
    mode = "cell" if kind in RESTRICTED_KINDS else "text"
    return named + value_problems(df, file=file, lines=df.attrs.get("lines"), mode=mode)


def configure_validate(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``tppo validate``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser, to which the options are added.
    """
    parser.add_argument("path", help="the file to check (CSV)")
    parser.add_argument("--kind", help="file kind (default: inferred from the header)")


def run_validate(args: argparse.Namespace) -> int:
    """Run ``tppo validate``: print the problems of one file, or a one-line summary.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options of the subcommand.

    Returns
    -------
    int
        The exit status: 0 on success, 1 when problems were found.
    """
    try:
        kind, n, notes = validate_file(args.path, args.kind)
    except DataValidationError as exc:
        warnings = list(getattr(exc, "warnings", []))
        print(f"{exc.file}: {_count(exc.problems, 'error')}, {_count(warnings, 'warning')} "
              f"({args.kind or 'kind inferred'})\nerrors (the loader refuses the file until they are fixed):", file=sys.stderr)  # fmt: skip
        _print_list([], exc.problems, sys.stderr)
        _print_list(warnings, [], sys.stderr)
        return 1
    warnings = record_warnings(args.path) if kind == "public_record" else []
    for note in notes:
        print(f"  note: {note}", file=sys.stderr)
    print(f"{display_path(args.path)}: valid {kind}, {n} rows; 0 errors, {_count(warnings, 'warning')}")
    _print_list(warnings, [], sys.stdout)
    return 0


def _count(items: list, word: str) -> str:
    return f"{len(items)} {word}{'' if len(items) == 1 else 's'}"


def _print_list(warnings: list, errors: list, stream) -> None:
    if warnings:
        print("warnings (reported; they do not stop the loader):", file=stream)
    for problem in [*errors, *warnings]:
        print(f"  {problem}", file=stream)


# --------------------------------------------------------------------------------------------------------------------
# tppo report
# --------------------------------------------------------------------------------------------------------------------


def configure_report(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``tppo report``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser, to which the options are added.
    """
    parser.add_argument(
        "--data-dir", metavar="PATH", help="run the notebooks on this data folder (restricted data); needs --out"
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="write executed notebooks, figures, results and HTML here "
        "(outside the repository, or under build/); the committed notebooks are not touched",
    )
    parser.add_argument(
        "--notebooks",
        metavar="DIR",
        default=None,
        help="folder of notebooks to run in name order (default: notebooks/)",
    )
    parser.add_argument(
        "--no-execute",
        action="store_true",
        help="render the HTML from the notebooks' saved outputs without running them",
    )
    parser.add_argument("--timeout", type=int, default=600, metavar="SECONDS", help="per-cell timeout (600)")


def run_report(args: argparse.Namespace) -> int:
    """Run ``tppo report``: build the report; with ``--data-dir``/``--out`` build it outside the repository.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options of the subcommand.

    Returns
    -------
    int
        The exit status: 0 on success, 1 when the privacy scan of a restricted report finds identifiers.
    """
    if args.data_dir is not None or args.out is not None:
        if args.out is None:
            raise TppoError("--data-dir needs --out DIR (outside the repository, or under build/)")
        data = args.data_dir if args.data_dir is not None else paths.data_dir()
        index = report.build_restricted_report(
            data, args.out, notebooks_dir=args.notebooks, execute=not args.no_execute, timeout=args.timeout
        )
        findings = report.privacy_scan(index.parent.parent)
        return 1 if findings else 0
    for key, env in report.ENV_KEYS.items():
        value = os.environ.get(env)
        if value and Path(value).expanduser().resolve() != (paths.repo_root() / key.removesuffix("_dir")).resolve():
            raise TppoError(
                f"{env} is set to another folder; the in-place report only runs on the repository's data. "
                "Use: tppo report --data-dir PATH --out DIR"
            )
    report.build_report(notebooks_dir=args.notebooks, execute=not args.no_execute, timeout=args.timeout)
    return 0


# --------------------------------------------------------------------------------------------------------------------
# tppo scan
# --------------------------------------------------------------------------------------------------------------------


def configure_scan(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``tppo scan``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser, to which the options are added.
    """
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or folders to scan (default: the repository's committed files, report/, figures/)",
    )
    parser.add_argument("--root", help="report paths relative to this folder (default: the repository)")


def run_scan(args: argparse.Namespace) -> int:
    """Run ``tppo scan``: look for personal identifiers and print each finding (masked).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options of the subcommand.

    Returns
    -------
    int
        The exit status: 0 when nothing was found, 1 otherwise.
    """
    if not args.paths:
        root = Path(args.root) if args.root else scan.default_root()
        print(f"tppo scan: scanning the repository at {root} (git checkout of the current directory)", file=sys.stderr)
        args.root = str(root)
    findings, scanned = scan.scan_paths(args.paths, root=args.root)
    if findings:
        for f in findings:
            print(str(f))
        files = len({f.file for f in findings})
        print(
            f"tppo scan: {len(findings)} possible personal identifier{'s' if len(findings) != 1 else ''} in "
            f"{files} file{'s' if files != 1 else ''} (values masked); remove them before committing",
            file=sys.stderr,
        )
        return 1
    print(f"tppo scan: no personal identifiers found in {scanned} files")
    return 0


# --------------------------------------------------------------------------------------------------------------------
# tppo aggregate
# --------------------------------------------------------------------------------------------------------------------


def configure_aggregate(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``tppo aggregate``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser, to which the options are added.
    """
    parser.add_argument("paths", nargs="+", type=Path, help="record-level CSV or Parquet file(s) of one kind")
    parser.add_argument("--kind", required=True, choices=list(extracts.KINDS), help="record kind")
    parser.add_argument(
        "--by", default="office_month", choices=list(extracts.BY), help="panel: office_month or village_month"
    )
    parser.add_argument("--out", required=True, type=Path, help="output panel (.parquet or .csv)")
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory limit, e.g. 1GB (spills beyond it)")
    parser.add_argument("--temp-dir", default=None, type=Path, help="DuckDB spill directory")
    parser.add_argument("--threads", default=None, type=int, help="DuckDB threads")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument(
        "--engine",
        default="duckdb",
        choices=["duckdb", "spark"],
        help="duckdb (this machine) or spark (the same guarded aggregation on Apache Spark; --out is a Parquet folder)",
    )
    parser.add_argument("--spark-master", default="local[*]", help="Spark master URL with --engine spark (local[*])")


def run_aggregate(args: argparse.Namespace) -> int:
    """Run ``tppo aggregate``: count record-level files into a monthly panel file with DuckDB.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options of the subcommand.

    Returns
    -------
    int
        The exit status (0; errors are raised as :class:`~tppo_analysis.errors.TppoError`).
    """

    def say(msg: str) -> None:
        if not args.quiet:
            print(f"tppo aggregate: {msg}", file=sys.stderr, flush=True)

    if args.engine == "spark":
        from ..sources._extract_io import check_options, check_output
        from ..sources._spark import spark_aggregate, spark_session

        check_options(args.memory_limit, args.threads, args.temp_dir)
        out = check_output(args.out, args.paths)
        say(f"starting Spark ({args.spark_master})")
        spark = spark_session(args.spark_master)
        try:
            cols = spark_aggregate(spark, args.paths, kind=args.kind, by=args.by, out_dir=out)
        finally:
            spark.stop()
        say(f"wrote {len(cols)} columns ({', '.join(cols[:4])}, ...) to {display_path(args.out)}/ (Parquet)")
        return 0
    extracts.aggregate_records(
        args.paths,
        kind=args.kind,
        out=args.out,
        memory_limit=args.memory_limit,
        temp_dir=args.temp_dir,
        by=args.by,
        threads=args.threads,
        progress=say,
    )
    return 0


# --------------------------------------------------------------------------------------------------------------------
# the command
# --------------------------------------------------------------------------------------------------------------------

#: subcommand -> (one-line help, add its options to a parser, run it)
SUBCOMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "validate": ("check an input file against its schema and list every problem", configure_validate, run_validate),
    "report": ("run the notebooks and render the static HTML report", configure_report, run_report),
    "scan": ("scan notebooks, data and figures for personal identifiers", configure_scan, run_scan),
    "aggregate": ("aggregate record-level data into monthly panels (DuckDB)", configure_aggregate, run_aggregate),
    "add-figure": (
        "add one figure to the public record as the article states it",
        configure_add_figure,
        run_add_figure,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """Build the ``tppo`` parser: one subcommand per entry of :data:`SUBCOMMANDS`."""
    parser = argparse.ArgumentParser(prog="tppo", description="tppo-analysis command line")
    parser.add_argument("--version", action="version", version=f"tppo-analysis {package_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, configure, run) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        configure(p)
        p.set_defaults(_run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``tppo`` command; print a :class:`~tppo_analysis.errors.TppoError` as one message, no traceback.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after ``tppo`` (``sys.argv[1:]`` when None).

    Returns
    -------
    int
        The exit status: 0 on success, 1 for a user error, 2 without a command, 130 when interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except TppoError as exc:
        print(f"tppo {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"tppo {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
