"""What a saved figure shows a reader: the colour of every labelled mark, and plain words instead of codes.

:func:`series_colours` reads the colour of every labelled artist and legend entry of a figure (the "series
colours" the colour-vision test compares). :func:`plain_text` replaces internal series keys (``tpi:soekarno-hatta``)
and measure codes (``dep_deferral_wni_pmi_suspected``) in every text of a figure — titles, labels, tick labels,
legends, annotations — by their plain labels from :mod:`tppo_analysis.record.summary`, the one lookup.
"""

from __future__ import annotations

import re
from functools import lru_cache

from matplotlib import ticker
from matplotlib.collections import Collection
from matplotlib.colors import to_hex, to_rgba
from matplotlib.container import Container
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

from ._colour import on_white

__all__ = ["series_colours", "plain_text", "code_pattern", "code_labels"]


def _blank(colour) -> bool:
    """No colour of its own: missing, transparent, or white (the page)."""
    if colour is None or (isinstance(colour, str) and colour.lower() == "none"):
        return True
    rgba = to_rgba(colour)
    return rgba[3] == 0 or to_hex(rgba) == "#ffffff"


def _artist_colour(art):
    if art is None:
        return None
    if isinstance(art, Container):
        children = [c for c in art.get_children() if c is not None]
        return _artist_colour(children[0]) if children else None
    if isinstance(art, Line2D):
        if art.get_linestyle() not in ("None", "none", "", " "):
            return art.get_color()
        face = art.get_markerfacecolor()
        return art.get_markeredgecolor() if _blank(face) else face
    if isinstance(art, Collection):
        fc, ec = art.get_facecolor(), art.get_edgecolor()
        if len(fc) and not _blank(tuple(fc[0])):
            return tuple(fc[0])
        return tuple(ec[0]) if len(ec) and not _blank(tuple(ec[0])) else None
    if isinstance(art, Patch):
        fc = art.get_facecolor()
        return art.get_edgecolor() if _blank(fc) else fc
    return None


def series_colours(fig) -> dict[str, str]:
    """``{label: "#rrggbb"}`` for every labelled mark of ``fig`` (artists and legend entries), alpha on white.

    A label starting with ``_`` is matplotlib's "not in the legend" and is skipped, as are white and transparent
    marks (they take no colour of their own).
    """
    out: dict[str, str] = {}

    def add(label, colour):
        if label and not str(label).startswith("_") and colour is not None and not _blank(colour):
            out.setdefault(str(label), to_hex(tuple(on_white(colour))))

    legends = list(fig.legends)
    for ax in fig.axes:
        for art in [*ax.get_lines(), *ax.collections, *ax.patches, *ax.containers]:
            add(art.get_label(), _artist_colour(art))
        if ax.get_legend() is not None:
            legends.append(ax.get_legend())
    for leg in legends:
        for handle, text in zip(leg.legend_handles, leg.get_texts(), strict=False):
            add(text.get_text(), _artist_colour(handle))
    return out


@lru_cache(maxsize=1)
def code_labels() -> dict[str, str]:
    """Map internal codes to plain labels: series keys holding a ``:`` or ``@`` and every measure code of the record."""
    from ..sources.labels import measure_labels, series_labels

    out = {k: v for k, v in series_labels().items() if ":" in k or "@" in k}
    out.update(measure_labels())
    return out


@lru_cache(maxsize=1)
def code_pattern() -> re.Pattern:
    """Compile a regex matching any internal code as a whole token (longest first)."""
    codes = sorted(code_labels(), key=len, reverse=True)
    return re.compile(r"(?<![\w:@-])(" + "|".join(map(re.escape, codes)) + r")(?![\w:@-])")


def _plain(text: str) -> str:
    labels = code_labels()
    return code_pattern().sub(lambda m: labels[m.group(1)], text)


def plain_text(fig) -> int:
    """Replace internal codes by plain labels in every text of ``fig``; return how many texts changed.

    Tick labels are read after a draw; an axis whose labels hold a code gets its current ticks fixed with the
    plain labels (categorical axes, the usual case, have fixed ticks anyway).
    """
    changed = 0
    for t in fig.findobj(Text):
        s = t.get_text()
        if s and (new := _plain(s)) != s:
            t.set_text(new)
            changed += 1
    pattern = code_pattern()
    fig.canvas.draw()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            ticks = axis.get_major_ticks()
            labels = [t.label1.get_text() for t in ticks]
            if not any(pattern.search(x) for x in labels):
                continue
            locs = list(axis.get_majorticklocs())[: len(labels)]
            axis.set_major_locator(ticker.FixedLocator(locs))
            axis.set_major_formatter(ticker.FixedFormatter([_plain(x) for x in labels]))
            changed += 1
    return changed
