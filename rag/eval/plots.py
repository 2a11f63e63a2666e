"""PNG charts of a report: one bar chart per metric (a bar per configuration), latency boxes."""

from __future__ import annotations

import math
from pathlib import Path

from rag.eval.summary import COLUMNS


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server or in CI
    import matplotlib.pyplot as plt

    return plt


def quality_keys(results) -> list[str]:
    """Share and ratio metrics that at least one configuration has a value for."""
    return [k for k, (_, kind) in COLUMNS.items() if kind in ("share", "ratio") and any(r.summary.get(k) is not None for r in results)]


def plot_metrics(results, path: Path) -> Path:
    plt = _pyplot()
    keys = quality_keys(results)
    cols = min(4, max(len(keys), 1))
    rows = max(math.ceil(len(keys) / cols), 1)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    names = [r.name for r in results]
    colors = [f"C{i % 10}" for i in range(len(names))]
    for ax, key in zip(axes.flat, keys):
        raw = [r.summary.get(key) for r in results]
        bars = ax.bar(range(len(names)), [v or 0.0 for v in raw], color=colors)
        for bar, value in zip(bars, raw):
            label = "n.a." if value is None else f"{value:.2f}"
            ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 0.02, label, ha="center", fontsize=6)
        ax.set_title(COLUMNS[key][0], fontsize=9)
        ax.set_ylim(0, 1.12)
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
    for ax in list(axes.flat)[len(keys) :]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _series(result, key: str) -> list[float]:
    return [r["timings"][key] for r in result.rows if r.get("timings", {}).get(key) is not None]


def plot_latency(results, path: Path, retrieval_only: bool) -> Path:
    """Distribution per configuration: retrieval time, or first-token and total time."""
    plt = _pyplot()
    keys = ["retrieve_s"] if retrieval_only else ["first_token_s", "total_s"]
    fig, axes = plt.subplots(1, len(keys), figsize=(max(4.0, 1.3 * len(results)) * len(keys), 3.4), squeeze=False)
    for ax, key in zip(axes.flat, keys):
        data = [_series(r, key) or [0.0] for r in results]
        ax.boxplot(data, showfliers=True)
        ax.set_xticks(range(1, len(results) + 1), [r.name for r in results], rotation=30, ha="right", fontsize=8)
        ax.set_title(key.replace("_s", "").replace("_", " ") + " (s)", fontsize=9)
        ax.set_ylabel("seconds", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
