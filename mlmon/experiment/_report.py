"""The Markdown report of an experiment, with PNG figures."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["markdown_table", "write_report"]


def _fmt(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return "–"
        if math.isinf(v):
            return "∞"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 10:
            return f"{v:.1f}"
        return f"{v:.3g}"
    return str(v)


def markdown_table(frame: Any, columns: list[str] | None = None) -> str:
    """A pandas DataFrame as a GitHub-flavoured Markdown table.

    Examples
    --------
    >>> import pandas as pd
    >>> print(markdown_table(pd.DataFrame({"a": [1, 2], "b": [0.5, float("nan")]})))
    | a | b |
    |---|---|
    | 1 | 0.5 |
    | 2 | – |
    """
    columns = columns or list(frame.columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for _, row in frame[columns].iterrows():
        lines.append("| " + " | ".join(_fmt(row[c]) for c in columns) + " |")
    return "\n".join(lines)


def _ranking(summary: Any, cal_frame: Any, null_of: dict[str, str], null_names: dict[str, str]) -> Any:
    """Per scenario with drift: detectors ranked by detection rate, then by mean delay."""
    import pandas as pd

    rows = []
    with_drift = summary[summary["n_drifts"] > 0]
    for scen, grp in with_drift.groupby("scenario", sort=False):
        grp = grp.assign(_rate=grp["detection_rate"].round(2)).sort_values(
            ["_rate", "mean_delay"], ascending=[False, True])
        best = grp.iloc[0]
        null = null_names[null_of[scen]]
        cal = cal_frame[(cal_frame["detector"] == best["detector"]) & (cal_frame["null_id"] == null)]
        rows.append({
            "scenario": scen,
            "best detector": best["detector"],
            "threshold": f"{cal['param'].iloc[0]} = {cal['value'].iloc[0]:.4g}" if len(cal) else "–",
            "detection rate": best["detection_rate"],
            "mean delay": best["mean_delay"],
            "runner-up": grp.iloc[1]["detector"] if len(grp) > 1 else "–",
            "runner-up delay": grp.iloc[1]["mean_delay"] if len(grp) > 1 else math.nan,
        })
    return pd.DataFrame(rows)


def write_report(out: Path, spec, scenarios, detectors, result, summary, cal_frame, curves,
                 calibrations, null_of, null_names, skipped, notes, timings, seeds) -> list[Path]:
    """Write ``report.md`` and ``figures/*.png`` into ``out``; return the figure paths."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from mlmon.viz import plot_delays, plot_operating_curves, plot_stream

    fig_dir = out / "figures"
    fig_dir.mkdir(exist_ok=True)
    figures: list[Path] = []
    budget = spec.budget

    # operating curves, one figure per scenario with drift
    curve_figs = []
    for sname, scen in scenarios.items():
        these = {d: c for (d, s), c in curves.items() if s == sname}
        if not these:
            continue
        chosen = {d: calibrations[(d, null_of[sname])].value for d in these}
        fig, ax = plt.subplots(figsize=(7, 4.6))
        plot_operating_curves(these, budget=budget.arl, chosen=chosen, ax=ax)
        ax.set_title(f"{sname}: false alarms against delay (star: calibrated threshold)", fontsize=10)
        path = fig_dir / f"operating_curves_{sname}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        figures.append(path)
        curve_figs.append((sname, path))

    # delay distributions
    drift_scens = [s for s, sc in scenarios.items() if not sc.is_stationary]
    delay_path = None
    if drift_scens:
        ncols = min(3, len(drift_scens))
        nrows = math.ceil(len(drift_scens) / ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.9 * nrows), squeeze=False)
        for ax, sname in zip(axes.ravel(), drift_scens):
            plot_delays(result, scenario=sname, ax=ax)
        for ax in axes.ravel()[len(drift_scens):]:
            ax.set_visible(False)
        fig.suptitle("Detection delay per detector, at the calibrated thresholds", fontsize=11)
        fig.tight_layout()
        delay_path = fig_dir / "delays.png"
        fig.savefig(delay_path, dpi=110)
        plt.close(fig)
        figures.append(delay_path)

    # one example stream with each detector's alarms
    ex = spec.report.example_scenario or (drift_scens[0] if drift_scens else next(iter(scenarios)))
    first = [r for r in result.records if r.scenario == ex and r.replicate == 0]
    stream = scenarios[ex].generate(seed=_record_seed(first[0])) if first else None
    stream_path = None
    if stream is not None:
        fig, ax = plt.subplots(figsize=(11, 4.2))
        plot_stream(stream, {r.detector: r.alarms for r in first}, tolerance=spec.tolerance, ax=ax)
        ax.set_title(f"{ex}, replicate 0: true drift and each calibrated detector's alarms", fontsize=10)
        fig.tight_layout()
        stream_path = fig_dir / f"stream_{ex}.png"
        fig.savefig(stream_path, dpi=110)
        plt.close(fig)
        figures.append(stream_path)

    budget_text = (f"average run length **{budget.arl:,.0f}** samples to a false alarm (one false alarm "
                   f"per {budget.arl:,.0f} samples)" if budget.arl is not None
                   else f"per-window false-positive rate **{budget.window_fpr}**")
    ranking = _ranking(summary, cal_frame, null_of, null_names)
    lines = [
        f"# {spec.name}",
        "",
        spec.description.strip(),
        "",
        f"Every detector was calibrated to the same false-alarm budget — {budget_text} — on the "
        f"null (no-drift) version of each scenario's signal, from {budget.n_runs} simulated null runs, "
        f"before anything was compared. Then each ran on {spec.replicates} streams per scenario, "
        "the same streams for every detector.",
        "",
        "## Which detector for which signal",
        "",
        "Best detector per scenario at the common budget: highest detection rate, then shortest "
        "mean delay.",
        "",
        markdown_table(ranking) if len(ranking) else "_No scenario with drift._",
        "",
        "## Calibration",
        "",
        f"Threshold per detector and null; `estimate` is the achieved false-alarm figure with its "
        f"{int(round(budget.confidence * 100))}% interval (`ci_low`, `ci_high`), from `n_runs` null runs "
        "of `run_length` samples (`n_alarms` of them ended in a false alarm; the others count as censored).",
        "",
        markdown_table(cal_frame, [c for c in ["detector", "null_id", "param", "value", "target", "estimate",
                                               "ci_low", "ci_high", "n_runs", "run_length", "n_alarms",
                                               "method"] if c in cal_frame.columns]),
        "",
        "Nulls: " + "; ".join(f"`{k}` = {desc}" for k, desc in _null_descriptions(cal_frame).items()) + ".",
        "",
        *([f"Calibration notes ({len(notes)}):", ""] + [f"- **{n['detector']}** on {n['null']}: {n['note']}"
                                                        for n in notes] + [""] if notes else []),
        "## Benchmark",
        "",
        "Per detector and scenario, over all replicates (`metrics.csv` has every column). A drift is "
        "detected by the first alarm in `[start, end + tolerance)`; other alarms outside such windows "
        "are false alarms, counted per 10,000 samples of exposure.",
        "",
        markdown_table(summary, ["detector", "scenario", "n_runs", "detection_rate", "mean_delay",
                                 "median_delay", "false_alarms_per_10k"]),
        "",
        "## Figures",
        "",
    ]
    for sname, path in curve_figs:
        lines += [f"### Operating curves: {sname}", "",
                  "Each line sweeps one detector's threshold: further right means fewer false alarms, "
                  "lower means faster detection. The dashed line is the budget; stars mark the "
                  "calibrated thresholds.", "", f"![operating curves {sname}]({path.relative_to(out)})", ""]
    if delay_path is not None:
        lines += ["### Detection delays", "", f"![delays]({delay_path.relative_to(out)})", ""]
    if stream_path is not None:
        lines += ["### An example stream", "",
                  "Shaded or vertical orange: the true drift. Green dots: detections; red crosses: "
                  "false alarms; hollow green: redundant alarms.", "",
                  f"![stream]({stream_path.relative_to(out)})", ""]
    lines += ["## Exported configs", "",
              "`configs/` holds each calibrated native detector as JSON plus `.npy` artefacts. In "
              "production, with numpy alone:", "", "```python", "import mlmon.runtime",
              "det = mlmon.runtime.load('configs/<detector>__<null>.json')",
              "result = det.update(x)   # or det.run(signal) for a whole array", "```", ""]
    if skipped:
        lines += ["## Not run", "", "| detector | scenario | reason |", "|---|---|---|"]
        lines += [f"| {s['detector']} | {s['scenario']} | {s['reason']} |" for s in skipped]
        lines += [""]
    lines += ["## Reproduce", "", f"`mlmon run experiments/{spec.name}.yaml` — seeds {seeds}; wall time "
              + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()) + ". Versions are in "
              "`manifest.json`.", ""]
    (out / "report.md").write_text("\n".join(lines))
    return figures


def _null_descriptions(cal_frame: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for _, row in cal_frame.iterrows():
        out.setdefault(row["null_id"], row["null_description"])
    return out


def _record_seed(record: Any) -> Any:
    seed = record.seed
    if isinstance(seed, dict) and "entropy" in seed:
        return np.random.SeedSequence(seed["entropy"], spawn_key=tuple(seed.get("spawn_key", ())))
    return seed
