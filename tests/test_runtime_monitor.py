"""The portable monitor: numpy-only statistics that agree with scipy, valid p-values, and an
export that production runs with numpy alone, deciding exactly as research did."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlmon.export import export_monitor
from mlmon.monitor import Monitor
from mlmon.runtime import ConfigError, load_monitor
from mlmon.runtime._monitor import (
    chi2_sf,
    homogeneity,
    kolmogorov_sf,
    ks_distance,
    ks_pvalue,
)

LEVEL = 1e-3


def test_chi2_tail_agrees_with_scipy():
    for df in (1, 2, 3, 4, 7, 10, 31, 60, 200):
        for q in (1e-12, 1e-6, 0.01, 0.2, 0.5, 0.9, 0.999):
            x = stats.chi2.isf(q, df)
            assert chi2_sf(x, df) == pytest.approx(stats.chi2.sf(x, df), rel=1e-10)
    assert chi2_sf(2000.0, 3) == pytest.approx(stats.chi2.sf(2000.0, 3), rel=1e-9)  # deep tail
    assert chi2_sf(0.0, 5) == 1.0
    with pytest.raises(ValueError, match="df"):
        chi2_sf(1.0, 0)


def test_kolmogorov_tail_agrees_with_scipy():
    for z in np.linspace(0.05, 4.0, 80):
        assert kolmogorov_sf(z) == pytest.approx(stats.kstwobign.sf(z), rel=1e-10, abs=1e-15)


def test_homogeneity_agrees_with_scipy_including_unseen_categories():
    table = np.array([[30, 50, 20, 0], [10, 40, 35, 15]])   # last category unseen in reference
    s, p, v = homogeneity(table[0], table[1])
    want = stats.chi2_contingency(table, correction=False)
    assert s == pytest.approx(want.statistic, rel=1e-12)
    assert p == pytest.approx(want.pvalue, rel=1e-10)
    assert v == pytest.approx(stats.contingency.association(table, method="cramer"), rel=1e-12)
    assert homogeneity(np.array([5, 0]), np.array([7, 0])) == (0.0, 1.0, 0.0)


@pytest.mark.parametrize("n, m", [(10, 10), (50, 50), (40, 90), (300, 200), (1000, 1000)])
def test_ks_pvalue_is_valid_and_close_to_scipy(n, m):
    rng = np.random.default_rng(n + m)
    runs = 1500
    ours, theirs = np.empty(runs), np.empty(runs)
    for i in range(runs):
        a, b = np.sort(rng.normal(size=n)), np.sort(rng.normal(size=m))
        d = ks_distance(a, b)
        assert d == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)
        ours[i], theirs[i] = ks_pvalue(d, n, m), stats.ks_2samp(a, b).pvalue
    for alpha in (0.01, 0.05, 0.1):
        assert np.sum(ours <= alpha) <= stats.binom.ppf(1 - LEVEL / 3, runs, alpha)
    # the documented agreement with scipy's exact p-values
    assert np.max(np.abs(ours - theirs)) <= (0.08 if min(n, m) < 50 else 0.05 if min(n, m) < 200 else 0.02)


def _frames(seed):
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({"x": rng.normal(size=800), "y": rng.exponential(size=800),
                        "c": rng.choice(["a", "b", "c"], 800), "flag": rng.integers(0, 2, 800)})
    ref.loc[:20, "y"] = np.nan
    cur = pd.DataFrame({"x": rng.normal(0.2, 1, 300), "y": rng.exponential(1.3, size=300),
                        "c": rng.choice(["a", "b", "c", "new"], 300, p=[0.3, 0.3, 0.3, 0.1]),
                        "flag": rng.integers(0, 2, 300)})
    cur.loc[:50, "y"] = np.nan
    cur.loc[:5, "c"] = None
    return ref, cur


@pytest.mark.parametrize("correction", ["holm", "bh"])
def test_runtime_decides_exactly_as_research(tmp_path, correction):
    ref, cur = _frames(0)
    monitor = Monitor(pvalues="portable", correction=correction,
                      min_effect={"x": 0.05, "chi_square": 0.01}).fit(ref)
    prod = load_monitor(export_monitor(monitor, tmp_path))
    for seed in range(5):
        _, cur = _frames(seed + 1)
        want = monitor.check(cur)
        got = prod.check({c: cur[c].to_numpy() for c in cur})
        assert [h.feature for h in got.hypotheses] == [f.feature for f in want.features]
        for h, f, adj, drift in zip(got.hypotheses, want.features, got.pvalues_adjusted, got.drifts):
            assert h.statistic == f.result.statistic and h.pvalue == f.result.pvalue
            assert adj == f.pvalue_adjusted and drift == f.drift
        assert got.drift == want.drift and set(got.drifted) == set(want.drifted)
    assert "c" in want.drifted and "y (null rate)" in want.drifted


def test_portable_monitor_keeps_its_level_under_the_null():
    rng = np.random.default_rng(3)

    def frame(n):
        return pd.DataFrame({f"x{j}": rng.normal(size=n) for j in range(5)}
                            | {"c": rng.choice(list("abcd"), n)})

    monitor = Monitor(pvalues="portable", alpha=0.1).fit(frame(300))
    alarms = sum(monitor.check(frame(100)).drift for _ in range(300))
    assert alarms <= stats.binom.ppf(1 - LEVEL, 300, 0.1)


def test_runtime_monitor_needs_numpy_alone(tmp_path):
    ref, cur = _frames(1)
    monitor = Monitor(pvalues="portable").fit(ref)
    path = export_monitor(monitor, tmp_path)
    data = tmp_path / "current.npz"
    np.savez(data, x=cur["x"].to_numpy(), y=cur["y"].to_numpy(),
             c=cur["c"].fillna("<null>").to_numpy(dtype=str), flag=cur["flag"].to_numpy())
    script = textwrap.dedent(f"""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {{"scipy", "pandas", "sklearn", "river", "numba", "torch"}}:
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Block())
        import numpy as np
        from mlmon.runtime import load_monitor
        cur = dict(np.load({str(data)!r}))
        report = load_monitor({str(path)!r}).check(cur)
        print(sorted(report.drifted))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()}, check=True)
    assert out.stdout.strip() == str(sorted(monitor.check(cur).drifted))


def test_export_and_load_refuse_what_they_cannot_honour(tmp_path):
    ref, _ = _frames(2)
    with pytest.raises(ValueError, match="portable"):
        export_monitor(Monitor().fit(ref), tmp_path)
    with pytest.raises(ValueError, match="fit"):
        export_monitor(Monitor(pvalues="portable"), tmp_path)
    with pytest.raises(TypeError, match="Monitor"):
        export_monitor(object(), tmp_path)
    with pytest.raises(ValueError, match="portable"):
        Monitor(pvalues="portable", numeric_test="welch")
    with pytest.raises(ValueError, match="portable"):
        Monitor(pvalues="portable", multivariate=["mmd"])
    path = export_monitor(Monitor(pvalues="portable").fit(ref), tmp_path)
    doc = json.loads(path.read_text())

    def broken(change):
        bad = json.loads(json.dumps(doc))
        change(bad)
        target = tmp_path / "bad.json"
        target.write_text(json.dumps(bad))
        return target

    with pytest.raises(ConfigError, match="newer"):
        load_monitor(broken(lambda d: d.update(schema_version=99)))
    with pytest.raises(ConfigError, match="correction"):
        load_monitor(broken(lambda d: d["params"].update(correction="sidak")))
    with pytest.raises(ConfigError, match="unknown key"):
        load_monitor(broken(lambda d: d.update(extra=1)))
    (tmp_path / doc["columns"][0]["reference"]["artefact"]).write_bytes(b"tampered")
    with pytest.raises(ConfigError, match="SHA-256"):
        load_monitor(path)
    with pytest.raises(ConfigError, match="no such"):
        load_monitor(tmp_path / "missing.json")


def test_runtime_check_errors_name_the_column(tmp_path):
    ref, cur = _frames(3)
    prod = load_monitor(export_monitor(Monitor(pvalues="portable").fit(ref), tmp_path))
    with pytest.raises(ValueError, match="lacks monitored column 'x'"):
        prod.check({"y": cur["y"].to_numpy()})
    with pytest.raises(ValueError, match="column 'x' must hold numbers"):
        prod.check({**{c: cur[c].to_numpy() for c in cur}, "x": np.array(["a"] * 300)})
    with pytest.raises(ValueError, match="infinite"):
        prod.check({**{c: cur[c].to_numpy() for c in cur}, "x": np.full(300, np.inf)})
