"""``tppo add-figure``: add one reported figure to the public record as the article states it.

The work is done by :func:`tppo_analysis.sources.add_figure.prepare_figure` (parse the period, build, check) and
:func:`~tppo_analysis.sources.add_figure.append_figure` (write); this module only reads the options, asks for
confirmation and prints what :func:`tppo_analysis.record.reconciled.describe_change` says the new row did.
"""

from __future__ import annotations

import argparse

from ..errors import display_path

__all__ = ["configure_add_figure", "run_add_figure"]


def configure_add_figure(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``tppo add-figure`` (:data:`tppo_analysis.sources.add_figure.CLI_OPTIONS`).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser.
    """
    from ..sources.add_figure import CLI_OPTIONS

    for flag, (required, metavar, help_text) in CLI_OPTIONS.items():
        parser.add_argument(flag, required=required, metavar=metavar, default="" if flag in ("--notes", "--destination") else None, help=help_text)  # fmt: skip
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation (for scripts)")


def run_add_figure(args: argparse.Namespace) -> int:
    """Run ``tppo add-figure``: parse, show, confirm, append, and say what reconciliation does with the new row.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options.

    Returns
    -------
    int
        0 when the figure was added, 1 when not confirmed.
    """
    from ..record.reconciled import describe_change
    from ..record.reconciliation import reconcile
    from ..sources.add_figure import CLI_OPTIONS, append_figure, prepare_figure
    from ..sources.public_record import load_public_record

    keyword = {"--file": "path"}
    new = prepare_figure(**{keyword.get(f, f[2:]): getattr(args, f[2:]) for f in CLI_OPTIONS})
    print(new.describe())
    if not args.yes and input(f"Append {new.figure_id} to {display_path(new.record_path)}? [y/N] ").strip().lower() not in ("y", "yes"):  # fmt: skip
        print("not added")
        return 1
    before = reconcile(load_public_record(new.record_path, aliases=new.alias_path))
    append_figure(new)
    after = reconcile(load_public_record(new.record_path, aliases=new.alias_path))
    alias = f" and a series alias to {display_path(new.alias_path)}" if new.alias_row else ""
    print(f"added {new.figure_id} to {display_path(new.record_path)}{alias}")
    print("reconciliation: " + describe_change(before, after, new.figure_id))
    print("next: add a row to data/public/CURATION_LOG.md (figure, source, what was checked)")
    return 0
