"""Write the README's generated tables from the committed results files.

    python tools/readme_tables.py          # rewrite the tables in README.md
    python tools/readme_tables.py --check  # exit 1 if README.md differs from the results

The tables live between `<!-- name:start -->` and `<!-- name:end -->` markers; the rest of
the README is prose written by people. Numbers come only from results/*.json, which
`make reference` and `make bench` write.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.budgets import BUDGETS_S  # noqa: E402


def repository() -> str:
    """`owner/name` of the course's public repository: the one setting, in pyproject.toml."""
    text = (ROOT / "pyproject.toml").read_text()
    found = re.search(r'^Repository\s*=\s*"https://github\.com/([^"/]+/[^"/]+?)/?"', text, re.M)
    if not found:
        raise SystemExit(
            'pyproject.toml: [project.urls] needs Repository = "https://github.com/..."'
        )
    return found.group(1)


def title(stem: str) -> str:
    """A notebook's title, from its own first heading (`# 04 · Title`)."""
    cells = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text())["cells"]
    heading = "".join(cells[0]["source"]).splitlines()[0] if cells else ""
    return re.sub(r"^#\s*\d+\s*·\s*", "", heading).strip() or stem


# The headline numbers of each unit: (results key, label, format). Others stay in the JSON.
HEADLINES: dict[str, list[tuple[str, str]]] = {
    "01_memory_cell": [
        ("numpy_matches_keras", "NumPy recurrent neuron equals keras.layers.SimpleRNN (1e-6)"),
        ("bptt_matches_tape", "BPTT by hand equals tf.GradientTape"),
        ("price_mse_memoryless", "next-day price, test MSE: dense, today only"),
        ("price_mse_dense_window", "next-day price, test MSE: dense, last 5 days"),
        ("price_mse_rnn", "next-day price, test MSE: SimpleRNN, last 5 days"),
    ],
    "02_vanishing_gradients": [
        ("lag_accuracy", "recall accuracy at lag L (chance 0.25)"),
        ("clipping_prevented_divergence", "clipping stops an exploding SimpleRNN from diverging"),
    ],
    "03_homemade_lstm": [
        ("lstm_matches_keras", "home-made LSTM equals keras.layers.LSTM (outputs, states, grads)"),
        ("masked_matches", "... with a mask too"),
        ("gru_matches_keras", "home-made GRU equals keras.layers.GRU"),
        ("speed_ratio_cpu", "home-made LSTM time / Keras LSTM time (CPU, forward+backward)"),
    ],
    "04_sentiment_lstm": [
        ("best_model", "best recurrent model (by validation accuracy, movies held out)"),
        ("best_model_val_accuracy", "its validation accuracy"),
        ("test_accuracy", "its accuracy on the 25,000 test reviews"),
        ("ngram_val_accuracy", "baseline (TF-IDF words + pairs, logistic regression): validation"),
        ("ngram_test_accuracy", "baseline: test accuracy"),
        ("ensemble_test_accuracy", "average of recurrent model and baseline: test accuracy"),
        ("val_accuracy_simplernn", "comparison, validation accuracy: SimpleRNN"),
        ("val_accuracy_lstm", "comparison, validation accuracy: LSTM"),
        ("val_accuracy_gru", "comparison, validation accuracy: GRU"),
        ("val_accuracy_bilstm", "comparison, validation accuracy: bidirectional LSTM"),
        ("val_accuracy_lstm_pool", "comparison, validation accuracy: LSTM, max+mean over steps"),
        ("with_mask_val_accuracy", "LSTM with mask_zero=True, validation accuracy"),
        ("no_mask_val_accuracy", "the same without the mask"),
    ],
    "05_time_series": [
        ("weather_best_naive", "weather, 24 h ahead: best naive baseline"),
        ("weather_best_baseline_mae", "its test MAE (°F)"),
        ("weather_ridge_test_mae", "linear baseline (ridge): test MAE (°F)"),
        ("weather_chosen_model", "model chosen by validation MAE"),
        ("weather_chosen_test_mae_mean", "its test MAE (°F), mean over 3 seeds"),
        ("weather_chosen_test_mae_std", "its standard deviation over the seeds (°F)"),
        ("improvement_percent", "improvement over the best naive baseline (%)"),
        ("stock_test_mae", "DAX next day, test MAE (index points)"),
        ("stock_lstm_beats_random_walk", "an LSTM beats the random walk on the DAX"),
        ("anomaly_baseline_precision", "anomalies, neighbour-airport rule: precision (per hour)"),
        ("anomaly_baseline_recall", "anomalies, neighbour-airport rule: recall (per hour)"),
        ("anomaly_precision", "anomalies, LSTM autoencoder: precision (per hour)"),
        ("anomaly_recall", "anomalies, LSTM autoencoder: recall (per hour)"),
    ],
    "06_seq2seq_translation": [
        ("test_sentences", "held-out test sentences"),
        ("test_bleu_plain_no_copy", "test BLEU (sacreBLEU): LSTM encoder-decoder"),
        ("test_bleu_attention_no_copy", "test BLEU (sacreBLEU): with attention"),
        ("test_bleu_plain", "... encoder-decoder, unknown English words copied for [UNK]"),
        ("test_bleu_attention", "... with attention, unknown English words copied for [UNK]"),
        ("test_exact_match_plain", "exact-match rate: encoder-decoder"),
        ("test_exact_match_attention", "exact-match rate: with attention"),
    ],
    "07_music_composition": [
        ("test_chorales", "test chorales (no tune shared with training)"),
        ("test_accuracy", "next-step accuracy, history only (like the baseline)"),
        ("baseline_accuracy", "repeat-the-last-step baseline"),
        ("test_accuracy_given_voices_above", "next-step accuracy, true higher voices given"),
        ("accuracy_soprano", "soprano: LSTM, history only"),
        ("baseline_soprano", "soprano: repeat the last step"),
        ("accuracy_alto", "alto: LSTM, history only"),
        ("baseline_alto", "alto: repeat the last step"),
        ("accuracy_tenor", "tenor: LSTM, history only"),
        ("baseline_tenor", "tenor: repeat the last step"),
        ("accuracy_bass", "bass: LSTM, history only"),
        ("baseline_bass", "bass: repeat the last step"),
        ("accuracy_new_notes", "accuracy where a voice changes note (baseline: 0)"),
        ("test_cross_entropy", "test cross-entropy, nats per note: LSTM"),
        ("baseline_cross_entropy", "test cross-entropy: repeat-last as a distribution"),
    ],
}


def load(name: str) -> dict:
    path = ROOT / "results" / name
    return json.loads(path.read_text()) if path.is_file() else {"notebooks": []}


def rows_by_stem(results: dict) -> dict[str, dict]:
    return {Path(r["notebook"]).stem: r for r in results.get("notebooks", [])}


def minutes(seconds: float | None) -> str:
    if seconds is None:
        return "not measured yet"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def timing(row: dict | None) -> str:
    if row is None:
        return "not measured yet"
    load = row.get("mean_load")
    return minutes(row["wall_time_s"]) + (f" (load {load:.1f})" if load is not None else "")


def machine_line(results: dict) -> str:
    rows = results.get("notebooks", [])
    if not rows:
        return "none yet"
    m = rows[0]["machine"]
    gpu = f", GPU {m['gpu']}" if m.get("gpu") else ", no GPU"
    return (
        f"{m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB{gpu}; "
        f"Python {m['python']}, TensorFlow {m['tensorflow']}, Keras {m['keras']}"
    )


def units_table() -> str:
    full, fast = rows_by_stem(load("full-cpu.json")), rows_by_stem(load("fast-cpu.json"))
    stems = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
    lines = [
        "| # | notebook | | fast mode (CPU) | full mode (CPU) | full-mode budget |",
        "|---|---|---|---|---|---|",
    ]
    for stem in stems:
        badge = (
            f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"(https://colab.research.google.com/github/{repository()}/blob/main/notebooks/{stem}.ipynb)"
        )
        name = title(stem)
        fast_t, full_t = timing(fast.get(stem)), timing(full.get(stem))
        budget = minutes(BUDGETS_S.get(stem, {}).get("full"))
        link = f"[`{stem}`](notebooks/{stem}.ipynb)"
        lines.append(f"| {stem[:2]} | {link}: {name} | {badge} | {fast_t} | {full_t} | {budget} |")
    lines += [
        "",
        f"Full mode measured on: {machine_line(load('full-cpu.json'))}.  ",
        f"Fast mode measured on: {machine_line(load('fast-cpu.json'))}.  ",
        "Load: the machine's mean 1-minute load average during the run. Above the number of",
        "cores, other work shared the CPU and the time is longer than on a quiet machine;",
        "`results/*.json` also records the CPU seconds each notebook used (`cpu_time_s`).",
    ]
    return "\n".join(lines)


def format_value(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (0, int(k)) if str(k).isdigit() else (1, str(k)))
        parts = []
        for k in keys:
            v = value[k]
            parts.append(
                f"{k} ({format_value(v)})" if isinstance(v, dict) else f"{k}: {format_value(v)}"
            )
        return (
            "; ".join(parts)
            if any(isinstance(v, dict) for v in value.values())
            else ", ".join(parts)
        )
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def results_table() -> str:
    full = rows_by_stem(load("full-cpu.json"))
    lines = ["| notebook | result | value |", "|---|---|---|"]
    for stem, row in sorted(full.items()):
        chosen = HEADLINES.get(stem)
        if chosen:
            items = [(label, row["results"].get(key)) for key, label in chosen]
        else:
            items = [(key.replace("_", " "), value) for key, value in row["results"].items()]
        for label, value in items:
            lines.append(f"| {stem} | {label} | {format_value(value)} |")
    if len(lines) == 2:
        lines.append("| | no full-mode results yet | |")
    gpu = load("full-gpu.json")
    lines += [
        "",
        "GPU: "
        + (
            f"measured on {machine_line(gpu)} (see `results/full-gpu.json`)."
            if gpu["notebooks"]
            else "not measured yet; no GPU machine has run the course. `make bench` on one "
            "writes `results/full-gpu.json`."
        ),
    ]
    return "\n".join(lines)


def grading_bench() -> str:
    path = ROOT / "results" / "grading-bench.json"
    if not path.is_file():
        return "Not measured yet: `make bench-grading` writes `results/grading-bench.json`."
    b = json.loads(path.read_text())
    m = b["machine"]
    return (
        f"On {m['cores']} cores ({m['cpu']}; Python {m['python']}, TensorFlow "
        f"{m['tensorflow']}, Keras {m['keras']}), {b['submissions']} submissions of "
        f"`{b['unit']}`, median of {b.get('repeats', 1)} runs each: {b['jobs1_s']:.1f} s with "
        f"`--jobs 1`, {b['jobs2_s']:.1f} s with "
        f"`--jobs 2` ({b['ratio']:.2f} x), {b['submissions_per_minute_jobs2']:.0f} submissions "
        f"a minute; the two gradebooks are identical: "
        f"{'yes' if b['gradebooks_identical'] else 'NO'}."
    )


def compat_table() -> str:
    """The supported corners and whether every notebook ran there (results/compat.json)."""
    path = ROOT / "results" / "compat.json"
    corners = json.loads(path.read_text())["corners"] if path.is_file() else {}
    if not corners:
        return "Not measured yet: `make compat` writes `results/compat.json`."
    lines = [
        "| corner | Python | TensorFlow | Keras | notebooks run in fast mode | date |",
        "|---|---|---|---|---|---|",
    ]
    for name, c in sorted(corners.items()):
        rows = c["notebooks"]
        failed = sorted(stem for stem, r in rows.items() if not r["ok"])
        outcome = f"{len(rows) - len(failed)} of {len(rows)} without error"
        if failed:
            outcome += " (failed: " + ", ".join(failed) + ")"
        lines.append(
            f"| {name} | {c['python']} | {c['tensorflow']} | {c['keras']} | {outcome} "
            f"| {c['date'][:10]} |"
        )
    return "\n".join(lines)


SECTIONS = {
    "units": units_table,
    "results": results_table,
    "grading": grading_bench,
    "compat": compat_table,
}


def render(readme: str) -> str:
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->).*?(<!-- {name}:end -->)", re.S)
        if not pattern.search(readme):
            raise SystemExit(f"README.md has no <!-- {name}:start --> ... end markers")
        readme = pattern.sub(lambda m, make=make: f"{m.group(1)}\n{make()}\n{m.group(2)}", readme)
    return readme


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    path = ROOT / "README.md"
    current = path.read_text()
    wanted = render(current)
    if args.check:
        if current != wanted:
            print("README.md tables differ from results/*.json: run python tools/readme_tables.py")
            return 1
        return 0
    path.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
