"""plotting.save_figure: deterministic bytes across processes, visible SYNTHETIC mark, sidecar, refusals."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from tppo_analysis.errors import TppoError
from tppo_analysis.output import plotting

# A figure script run in fresh interpreters: everything that could vary between processes (hash seed, rcParams
# state, font cache warm-up) is left to vary, except the inputs.
_SCRIPT = textwrap.dedent(
    """
    import sys
    import matplotlib
    matplotlib.use("Agg")
    import numpy as np
    from tppo_analysis.output import plotting

    out = sys.argv[1]
    fig, ax = plotting.new_figure()
    x = np.arange(36)
    for k in range(3):
        ax.plot(x, 50 + 10 * k + 8 * np.sin(x / 4 + k), label=f"office {k}")
    ax.set_title("Deferred departures per month (example)")
    ax.set_xlabel("month since Jan 2021")
    ax.set_ylabel("persons per month")
    ax.legend()
    plotting.save_figure(fig, "synthetic_lines", caption="Three simulated offices.",
                         source="simulated by tppo_analysis.synthetic (seed 1)", synthetic=True, directory=out)
    fig2, ax2 = plotting.new_figure()
    ax2.bar(["2022", "2023"], [120, 180])
    ax2.set_title("Reported prevented departures")
    ax2.set_ylabel("persons per year")
    plotting.save_figure(fig2, "public_bars", caption="Two public figures.",
                         source="2 public statements, data/public", directory=out)
    """
)


def _save_in_fresh_process(out: Path, hashseed: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONHASHSEED": hashseed, "MPLBACKEND": "Agg"}
    subprocess.run([sys.executable, "-c", _SCRIPT, str(out)], check=True, env=env, timeout=120)
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir())}


def test_saved_png_svg_json_are_byte_identical_across_processes(tmp_path):
    first = _save_in_fresh_process(tmp_path / "a", "1")
    second = _save_in_fresh_process(tmp_path / "b", "2")
    assert sorted(first) == sorted(
        f"{n}.{ext}" for n in ("public_bars", "synthetic_lines") for ext in ("png", "svg", "json")
    )
    assert first == second


def _png_chunks(path: Path) -> list[tuple[bytes, bytes]]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, i = [], 8
    while i < len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        kind = data[i + 4 : i + 8]
        chunks.append((kind, data[i + 8 : i + 8 + length]))
        i += 12 + length
    return chunks


def _simple_figure(title="Persons deferred per year"):
    fig, ax = plotting.new_figure()
    ax.plot([2021, 2022, 2023], [10, 30, 20])
    if title:
        ax.set_title(title)
    ax.set_ylabel("persons per year")
    return fig


def test_files_carry_no_timestamp_or_software_metadata(tmp_path):
    fig = _simple_figure()
    png = plotting.save_figure(fig, "meta_check", caption="c", source="s", directory=tmp_path)
    plt.close(fig)
    kinds = [k for k, _ in _png_chunks(png)]
    assert not {b"tEXt", b"iTXt", b"zTXt", b"tIME"} & set(kinds), kinds
    svg = (tmp_path / "meta_check.svg").read_text(encoding="utf-8")
    assert "<dc:date>" not in svg
    assert "Matplotlib v" not in svg and "<dc:creator>" not in svg


def test_synthetic_figure_says_synthetic_in_svg_text_and_sidecar(tmp_path):
    fig = _simple_figure()
    plotting.save_figure(
        fig, "syn", caption="Simulated.", source="simulated (seed 3)", synthetic=True, directory=tmp_path
    )
    plt.close(fig)
    svg = (tmp_path / "syn.svg").read_text(encoding="utf-8")
    assert plotting.SYNTHETIC_LABEL in svg  # the banner
    assert ">SYNTHETIC<" in svg or "SYNTHETIC</text>" in svg  # the in-axes watermark
    assert "Source: simulated (seed 3)" in svg
    sidecar = json.loads((tmp_path / "syn.json").read_text(encoding="utf-8"))
    assert {k: sidecar[k] for k in ("name", "title", "caption", "source", "synthetic", "restricted", "files")} == {
        "name": "syn",
        "title": "Persons deferred per year",
        "caption": "Simulated.",
        "source": "simulated (seed 3)",
        "synthetic": True,
        "restricted": False,
        "files": ["syn.png", "syn.svg"],
    }
    assert sidecar["structured"] is False and sidecar["series"] is None  # a bare caption: flagged, not structured


def test_real_figure_has_source_line_and_no_synthetic_mark(tmp_path):
    fig = _simple_figure()
    plotting.save_figure(fig, "real", caption="Public.", source="12 public statements, data/public", directory=tmp_path)
    plt.close(fig)
    svg = (tmp_path / "real.svg").read_text(encoding="utf-8")
    assert "Source: 12 public statements, data/public" in svg
    assert "SYNTHETIC" not in svg
    assert json.loads((tmp_path / "real.json").read_text(encoding="utf-8"))["synthetic"] is False


def test_saving_twice_does_not_stamp_twice(tmp_path):
    fig = _simple_figure()
    plotting.save_figure(fig, "twice", caption="c", source="s", synthetic=True, directory=tmp_path)
    first = (tmp_path / "twice.svg").read_bytes()
    plotting.save_figure(fig, "twice", caption="c", source="s", synthetic=True, directory=tmp_path)
    plt.close(fig)
    assert (tmp_path / "twice.svg").read_bytes() == first
    assert first.decode("utf-8").count(plotting.SYNTHETIC_LABEL) == 1


def test_untitled_figure_is_refused_and_nothing_written(tmp_path):
    fig = _simple_figure(title=None)
    with pytest.raises(TppoError, match="no title"):
        plotting.save_figure(fig, "untitled", caption="c", source="s", directory=tmp_path)
    plt.close(fig)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "bad name", "caption": "c", "source": "s"}, "figure name"),
        ({"name": "ok", "caption": "c", "source": "  "}, "no source"),
        ({"name": "ok", "caption": "", "source": "s"}, "no caption"),
    ],
)
def test_bad_name_missing_source_or_caption_are_refused(tmp_path, kwargs, message):
    fig = _simple_figure()
    with pytest.raises(plotting.FigureError, match=message):
        plotting.save_figure(fig, directory=tmp_path, **kwargs)
    plt.close(fig)


def test_suptitle_counts_as_title(tmp_path):
    fig, axes = plotting.new_figure(1, 2)
    for ax in axes:
        ax.plot([0, 1], [0, 1])
    fig.suptitle("Two panels")
    plotting.save_figure(fig, "supt", caption="c", source="s", directory=tmp_path)
    plt.close(fig)
    assert json.loads((tmp_path / "supt.json").read_text(encoding="utf-8"))["title"] == "Two panels"


def test_default_directory_follows_paths_configure(tmp_path):
    from tppo_analysis import paths

    paths.configure(figures_dir=tmp_path / "figs")
    fig = _simple_figure()
    png = plotting.save_figure(fig, "configured", caption="c", source="s")
    plt.close(fig)
    assert png == (tmp_path / "figs" / "configured.png").resolve()
    assert png.exists()


def test_palette_is_okabe_ito_and_style_cycles_linestyles():
    okabe_ito = {"#0072B2", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#D55E00", "#CC79A7", "#000000"}
    assert set(plotting.PALETTE) <= okabe_ito and plotting.PALETTE[:3] == ["#0072B2", "#E69F00", "#000000"]
    with plotting.style_context():
        import matplotlib as mpl

        cycle = mpl.rcParams["axes.prop_cycle"].by_key()
    assert cycle["color"] == plotting.PALETTE
    assert len(set(map(str, cycle["linestyle"]))) == len(plotting.PALETTE)


def test_returned_path_displays_without_folder(tmp_path):
    # A notebook cell ending in save_figure(...) shows this repr: no absolute path may reach committed outputs.
    fig = _simple_figure()
    png = plotting.save_figure(fig, "shown", caption="c", source="s", directory=tmp_path)
    plt.close(fig)
    assert png == tmp_path / "shown.png" and png.exists()
    assert repr(png) == "saved figure shown (.png, .svg, .json)"
    assert str(tmp_path) not in repr(png)


def test_interval_panel_draws_the_fitted_mean_as_shown_in_tables():
    """The fitted-mean line is the 3-significant-digit mean, so last-bit differences of a fit do not move the figure."""
    import numpy as np
    import pandas as pd

    from tppo_analysis.models.interval._predict import draw_panel
    from tppo_analysis.protocol import round_sig

    months = pd.date_range("2023-01-01", periods=3, freq="MS")
    mon = pd.DataFrame({"month": months, "mean": [123.456789, 98.7654321, 100.0004], "lower": [80, 60, 70],
                        "upper": [170, 140, 150]})  # fmt: skip
    obs = pd.DataFrame({"period_start": [months[0]], "period_end": [pd.Timestamp("2023-03-31")], "value": [300]})
    fig, ax = plt.subplots()
    draw_panel(ax, obs, mon)
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "fitted mean")
    dim = months.days_in_month.to_numpy()
    expected = np.array([round_sig(v) for v in mon["mean"]]) / dim
    np.testing.assert_array_equal(np.asarray(line.get_ydata(), dtype=float), expected)
    assert not np.allclose(expected, mon["mean"].to_numpy() / dim, rtol=1e-6, atol=0)  # rounding did something
    plt.close(fig)
