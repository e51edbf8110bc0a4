"""Our own hidden set: identifiers where a lazy guard would not look.

Deep in extracts (past row 20,000, past DuckDB's sniff sample and any sampling guard), in middle columns, in numeric
columns, in Parquet; e-mails and NPWP in notebook outputs of every kind (stream, HTML, plain text, JSON, error
traceback, metadata). Each must be caught; the values used are the project's fixture identities.
"""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pandas as pd
import pytest

from tppo_analysis.errors import IdentifierError
from tppo_analysis.privacy.scan import scan_paths
from tppo_analysis.sources.extracts import aggregate_records

NIK, HP, EMAIL, NPWP = "3201014107950003", "081377770002", "siti.rahayu@gmail.com", "09.254.294.3-407.000"

DEEP = [
    ("checkpoint", NIK, "NIK"),
    ("checkpoint", f"Bandara Juanda ({HP[:4]}) {HP[4:8]}-{HP[8:]}", "PHONE"),
    ("reason", f"wa.me/62{HP[1:]}", "PHONE"),
    ("notes", f"kontak {EMAIL}", "EMAIL"),
    ("notes", f"NPWP {NPWP}", "NPWP"),
    ("notes", f"{NIK}.0", "NIK"),
    ("notes", f"NIK{NIK}", "NIK"),
    ("notes", "3.20101410795000E+15", "NIK"),
    ("notes", "Pelapor: nama Budi Santoso", "NAME"),
    ("checkpoint", "Siti Rahayu binti Ahmad", "NAME"),
]


def _extract(path, n=25_000):
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "record_id": [f"R{i}" for i in range(n)],
            "event_date": "2023-05-01",
            "notes": rng.choice(["ok", "dokumen lengkap", ""], n),
            "checkpoint": rng.choice(["Bandara Juanda", "Pelabuhan Tanjung Perak"], n),
            "reason": "other",
        }
    )


@pytest.mark.parametrize("column,value,kind", DEEP)
def test_identifier_deep_in_a_middle_column_is_refused(tmp_path, column, value, kind):
    df = _extract(tmp_path)
    df.loc[23_456, column] = value
    src = tmp_path / "x.csv"
    df.to_csv(src, index=False)
    with pytest.raises(IdentifierError) as info:
        aggregate_records(src, kind="deferrals", out=tmp_path / "o.parquet")
    text = str(info.value)
    assert kind in text and "line 23458" in text and f"column {column}" in text
    assert not (tmp_path / "o.parquet").exists()


def test_nik_in_a_numeric_parquet_column(tmp_path):
    df = _extract(tmp_path).assign(ref=np.arange(25_000, dtype="int64"))
    df.loc[20_001, "ref"] = int(NIK)
    df.loc[20_002, "ref"] = int(HP)  # the leading 0 lost in a number column
    src = tmp_path / "x.parquet"
    df.to_parquet(src, index=False)
    with pytest.raises(IdentifierError) as info:
        aggregate_records(src, kind="deferrals", out=tmp_path / "o.parquet")
    assert "NIK" in str(info.value) and "PHONE" in str(info.value)


def _nb(path, outputs):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.outputs = outputs
    nb.cells = [cell]
    nbformat.write(nb, path)


@pytest.mark.parametrize("where", ["stream", "html", "plain", "json", "error", "metadata"])
@pytest.mark.parametrize("value,kind", [(EMAIL, "EMAIL"), (NPWP, "NPWP")])
def test_email_and_npwp_in_notebook_outputs(tmp_path, where, value, kind):
    text = f"kontak pelapor: {value}"
    out = {
        "stream": nbformat.v4.new_output("stream", name="stdout", text=text),
        "html": nbformat.v4.new_output("display_data", data={"text/html": f"<td>{text}</td>"}),
        "plain": nbformat.v4.new_output("execute_result", data={"text/plain": text}, execution_count=1),
        "json": nbformat.v4.new_output("display_data", data={"application/json": {"k": text}}),
        "error": nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=[text]),
        "metadata": nbformat.v4.new_output("display_data", data={"text/plain": "ok"}, metadata={"k": text}),
    }[where]
    f = tmp_path / "05_x.ipynb"
    _nb(f, [out])
    findings, _ = scan_paths([f])
    assert kind in [x.kind for x in findings], (where, findings)
    assert value not in json.dumps([str(x) for x in findings])
