"""The benchmarks' pure helpers: percentiles, ratios, scripts, tables. No timings here:
timings are measured by ``hotline bench``, never asserted."""

from __future__ import annotations

from pathlib import Path

from bench import baseline, load, long, suite
from bench.common import latency_summary, percentile, ratio, replace_section, times


def test_percentile_is_nearest_rank_over_sorted_values() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 100 … 1, unsorted on purpose
    assert percentile(values, 0.5) == 51.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.0], 0.95) == 7.0


def test_latency_summary_names_p50_p95_p99_and_survives_no_replies() -> None:
    assert latency_summary([10.0, 20.0, 30.0, 40.0]) == {"p50": 30.0, "p95": 40.0, "p99": 40.0}
    assert latency_summary([]) == {"p50": None, "p95": None, "p99": None}


def test_ratio_and_its_rendering() -> None:
    assert ratio(150.0, 60.0) == 2.5
    assert times(ratio(150.0, 60.0)) == "2.50×"
    assert ratio(5.0, 0.0) is None  # nothing measured on one side: no ratio, not a crash
    assert ratio(None, 3.0) is None
    assert times(None) == "—"


def test_replace_section_rewrites_only_its_own_block(tmp_path: Path) -> None:
    doc = tmp_path / "BENCHMARKS.md"
    doc.write_text("# B\n\nprose\n\n<!-- load:start -->\nold\n<!-- load:end -->\n\n"
                   "<!-- long:start -->\nkeep\n<!-- long:end -->\ntail\n", encoding="utf-8")
    replace_section("load", "| new | table |\n", doc)
    text = doc.read_text(encoding="utf-8")
    assert "<!-- load:start -->\n| new | table |\n<!-- load:end -->" in text
    assert "old" not in text
    assert "prose" in text and "keep" in text and text.endswith("tail\n")


def test_replace_section_appends_a_missing_block(tmp_path: Path) -> None:
    doc = tmp_path / "BENCHMARKS.md"
    doc.write_text("# B\n", encoding="utf-8")
    replace_section("memory", "figures", doc)
    assert doc.read_text(encoding="utf-8") == "# B\n\n<!-- memory:start -->\nfigures\n<!-- memory:end -->\n"


def test_scripts_give_each_conversation_its_own_questions_and_wrap_around() -> None:
    pool = ["q0", "q1", "q2", "q3", "q4"]
    assert load.scripts(3, 2, pool) == [["q0", "q1"], ["q2", "q3"], ["q4", "q0"]]
    assert load.scripts(3, 2, pool) == load.scripts(3, 2, pool)  # the same load every run


def test_summarize_keeps_errors_out_of_latency_and_counts_holding_answers() -> None:
    samples = [(100.0, "answered"), (200.0, "answered"), (4500.0, "deferred"), (3.0, "error")]
    result = load.summarize(samples, wall_s=2.0)
    assert result["messages"] == 4
    assert result["errors"] == 1
    assert result["deferred"] == 1
    assert result["per_s"] == 1.5  # three replies in two seconds
    assert result["latency_ms"]["p50"] == 200.0


def test_window_medians_cover_every_turn() -> None:
    ms = [float(v) for v in range(1, 26)]
    assert long.window_medians(ms, 10) == [5.5, 15.5, 23.0]


def _nlu_row(name: str, top1: float) -> dict:
    return {"name": name, "topic_accuracy": 0.9, "answered_rate": 0.95, "faq_top1": top1,
            "faq_top3": 0.95, "p50_ms": 50.0, "p95_ms": 90.0, "train_s": 300.0}


def test_baseline_table_puts_the_bot_beside_bm25_in_points() -> None:
    result = {"n": 280, "with_faq": 265, "machine": "m", "date": "d",
              "baseline": _nlu_row("bm25", 0.691),
              "bot": {"date": "d0", "rows": [_nlu_row("rasa", 0.608), _nlu_row("bm25", 0.7),
                                             _nlu_row("fused", 0.826)]}}
    text = baseline.table(result)
    assert "| +13.5 |" in text and "| -8.3 |" in text
    assert text.count("BM25 alone") == 1  # nlu's own BM25 row is not repeated


def test_baseline_table_says_how_to_get_missing_bot_figures() -> None:
    result = {"n": 280, "with_faq": 265, "machine": "m", "date": "d",
              "baseline": _nlu_row("bm25", 0.691), "bot": None}
    assert "run `hotline bench nlu`" in baseline.table(result)


def test_summary_lists_what_ran_and_names_what_failed() -> None:
    results = {"long": {"turns": 200, "first_ms": 150.0, "last_ms": 600.0,
                        "tracker": {"1": {"bytes": 14336, "events": 10},
                                    "200": {"bytes": 2048000, "events": 1000}}}}
    rows = suite.figures(results)
    assert ("long", "median turn 1–10 → 191–200", "150.0 → 600.0 ms") in rows
    assert ("long", "Rasa tracker after turn 200", "2000 KiB") in rows
    text = suite.table({"machine": "m", "date": "d", "model": "x", "wall_s": 600.0,
                        "step_s": {"long": 60.0}, "failed": ["load"], "figures": rows})
    assert "**10.0 minutes**" in text and "Failed this run: load" in text
