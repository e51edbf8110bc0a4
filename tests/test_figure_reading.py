"""Figures a reviewer reads without the notebook.

Colour-vision distance, plain log ticks, the time axis with events, captions rendered from structured sidecar fields,
and no internal code in any text of a figure.
"""

from __future__ import annotations

import itertools
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from tppo_analysis.errors import FigureError  # noqa: E402
from tppo_analysis.output import plotting  # noqa: E402


def test_colour_distance_agrees_with_colorspacious_on_a_known_pair():
    from colorspacious import cspace_convert, deltaE

    d = plotting.colour_distances({"blue": "#0072B2", "green": "#009E73"})
    trit = d[d["vision"] == "tritanomaly"]["delta_e"].iloc[0]
    sim = {"name": "sRGB1+CVD", "cvd_type": "tritanomaly", "severity": 100}
    a = cspace_convert(np.array([0, 0x72, 0xB2]) / 255, sim, "sRGB1")
    b = cspace_convert(np.array([0, 0x9E, 0x73]) / 255, sim, "sRGB1")
    assert trit == pytest.approx(float(deltaE(np.clip(a, 0, 1), np.clip(b, 0, 1), input_space="sRGB1")), abs=1e-6)
    # the referee's collision: Okabe-Ito blue and bluish green are too close under tritanopia
    check = plotting.colour_vision_check({"blue": "#0072B2", "green": "#009E73"})
    assert not check["passes"] and check["vision"] == "tritanopia"


def test_every_palette_passes_the_colour_vision_threshold():
    for colours in (
        plotting.PALETTE,
        list(plotting.STATUS_COLOURS.values()),
        [*plotting.PALETTE[:5], plotting.CONTEXT_FILL, plotting.EVENT_COLOUR, plotting.NO_DATA_COLOUR],
        *[plotting.sequential_colours(n) for n in range(2, 6)],
    ):
        check = plotting.colour_vision_check(colours)
        assert check["passes"], (colours, check)
        assert check["min_delta_e"] >= plotting.MIN_DELTA_E
    with pytest.raises(FigureError):
        plotting.sequential_colours(6)


def test_sequential_colours_are_ordered_by_lightness():
    from colorspacious import cspace_convert
    from matplotlib.colors import to_rgb

    light = [cspace_convert(to_rgb(c), "sRGB1", "CAM02-UCS")[0] for c in plotting.sequential_colours(5)]
    assert all(b > a for a, b in itertools.pairwise(light))


def test_plain_log_ticks_read_as_plain_numbers():
    fig, ax = plt.subplots()
    ax.plot([0.1, 10], [0.08, 3])
    plotting.plain_log_axis(ax, "y")
    ax.set_ylim(0.08, 3)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text() and 0.08 <= t.get_position()[1] <= 3]
    plt.close(fig)
    assert labels == ["0.1", "0.2", "0.5", "1", "2"]


def test_time_axis_draws_closures_events_and_a_labelled_no_data_span():
    fig, ax = plt.subplots()
    handles = plotting.time_axis(ax, "2017-01-01", "2026-01-01", no_data=[("2020-01-01", "2022-12-31")])
    labels = [h.get_label() for h in handles]
    texts = [t.get_text() for t in ax.texts]
    plt.close(fig)
    assert labels[0].startswith("border closures (Mar 2020 – Mar 2022)")
    assert "no figures reported" in labels and "no figures reported" in texts
    assert any("dated event" in x for x in labels)
    assert "Malaysia reopens" in " ".join(texts) and "police TPPO task force" in " ".join(texts)


def test_caption_is_rendered_from_the_structured_fields_and_stored(tmp_path):
    fig, ax = plotting.new_figure()
    ax.plot([1, 2], [3, 4], label="Soekarno-Hatta")
    ax.set_title("t")
    plotting.save_figure(
        fig,
        "fields",
        source="s",
        what="Deferrals per day",
        series=["Soekarno-Hatta airport"],
        period="Jan 2017 – Dec 2024",
        n="26 reported windows",
        model="interval count model",
        interval="90% prediction band",
        caveat="the 2020-22 stretch is extrapolated, not data",
        directory=tmp_path,
    )
    plt.close(fig)
    side = json.loads((tmp_path / "fields.json").read_text(encoding="utf-8"))
    assert side["structured"] is True
    for key in ("series", "period", "n", "interval"):
        assert side[key]
        assert str(side[key] if key != "series" else side[key][0]) in side["caption"]
    assert "Not to be read as: the 2020-22 stretch is extrapolated" in side["caption"]
    assert side["colours"] == {"Soekarno-Hatta": "#0072b2"}
    fig = plt.figure()
    fig.suptitle("t")
    with pytest.raises(FigureError, match="interval"):
        plotting.save_figure(fig, "x", source="s", what="w", series="a", period="p", n=1, directory=tmp_path)
    plt.close(fig)


def test_internal_codes_never_reach_a_saved_figure(tmp_path):
    fig, (ax1, ax2) = plt.subplots(2, 1)
    ax1.plot([1, 2], [1, 2], label="tpi:soekarno-hatta / dep_deferral_wni_pmi_suspected")
    ax1.set_title("tpi:juanda")
    ax1.legend()
    ax2.set_yticks([0, 1], ["tpi:batam-seaports", "national"])
    plotting.save_figure(
        fig, "codes", caption="tpi:juanda", source="passport_deferral_pmi_suspected", directory=tmp_path
    )
    plt.close(fig)
    svg = (tmp_path / "codes.svg").read_text(encoding="utf-8")
    side = (tmp_path / "codes.json").read_text(encoding="utf-8")
    for code in ("tpi:soekarno-hatta", "tpi:juanda", "tpi:batam-seaports", "dep_deferral_wni_pmi_suspected",
                 "passport_deferral_pmi_suspected"):  # fmt: skip
        assert code not in svg and code not in side
    assert "Soekarno-Hatta airport" in svg and "departures deferred on suspicion" in svg


def test_series_label_is_the_alias_files_label_and_unknown_keys_fail():
    from tppo_analysis.record.summary import measure_label, plain_label, series_label
    from tppo_analysis.sources.public_record import load_series_aliases

    aliases = load_series_aliases()
    for key in ("national", "tpi:soekarno-hatta", "tpi:juanda", "tpi:batam-seaports"):
        assert series_label(key) in set(aliases.loc[aliases["series"] == key, "series_label"])
    assert plain_label("tpi:juanda", "dep_deferral_wni_pmi_suspected").endswith(
        ": departures deferred on suspicion of non-procedural migrant work"
    )
    assert measure_label("passport_deferral_pmi_suspected", short=True) == "passport deferrals"
    with pytest.raises(ValueError, match="not in data/reference/series_aliases.csv"):
        series_label("tpi:nowhere")


def test_every_measure_of_the_record_has_a_plain_label():
    import tppo_analysis as tppo
    from tppo_analysis.record.summary import measure_labels

    assert set(tppo.load_public_record()["measure"]) <= set(measure_labels())
    assert not pd.Series(measure_labels()).str.contains("_").any()


def test_fields_set_by_the_drawing_function_are_used_when_the_caller_gives_only_a_caption(tmp_path):
    fig, ax = plotting.new_figure()
    ax.set_title("t")
    fig.tppo_fields = {"series": ["Juanda airport"], "period": "2023", "n": "12 windows", "interval": "none"}
    plotting.save_figure(fig, "drawn", caption="What it shows", source="s", directory=tmp_path)
    plt.close(fig)
    side = json.loads((tmp_path / "drawn.json").read_text(encoding="utf-8"))
    assert side["structured"] and side["what"] == "What it shows" and side["n"] == "12 windows"
    assert "Series: Juanda airport. Period: 2023. n = 12 windows." in side["caption"]
