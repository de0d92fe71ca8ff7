"""Knowledge-base loading, linting and compiling, on small plain data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hotline.kb import compile as kb_compile
from hotline.kb import lint, load

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "kb"
TODAY = dt.date(2026, 11, 29)


def test_seed_is_clean() -> None:
    assert [f for f in lint.check(load(FIXTURE), TODAY) if f.level == "error"] == []


def entry(ident: str = "card_x", **changes: object) -> str:
    base = {
        "questions": "[" + ", ".join(f"问法{ident}{i}" for i in range(10)) + "]",
        "short": "短答复", "source": "[{name: 社会保险法}]", "topic": "card", "extra": "",
    }
    base.update({k: str(v) for k, v in changes.items()})
    return (f"- id: {ident}\n  topic: {base['topic']}\n  title: 标题{ident}\n"
            f"  questions: {base['questions']}\n"
            f"  answer: {{full: 完整答复, short: {base['short']}}}\n"
            f"  source: {base['source']}\n  status: published\n{base['extra']}")


def findings(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "t.yml").write_text(text, encoding="utf-8")
    return [f.message for f in lint.check(load(tmp_path), TODAY) if f.level == "error"]


def test_clean_entry_passes(tmp_path: Path) -> None:
    assert findings(tmp_path, entry()) == []


def test_each_rule_is_enforced(tmp_path: Path) -> None:
    assert any("缺少依据" in m for m in findings(tmp_path, entry(source="[]")))
    assert any("超过 130 字" in m for m in findings(tmp_path, entry(short="长" * 131)))
    assert any("超过两条短信" in m for m in findings(
        tmp_path, entry(short="长" * 125, source="[{name: 一个很长很长的政策文件名称}]")))
    assert any("网址" in m for m in findings(tmp_path, entry(short="见 https://x.cn")))
    assert any("未知主题" in m for m in findings(tmp_path, entry(topic="weather")))
    assert any("至少需要" in m for m in findings(tmp_path, entry(questions="[一, 二]")))
    assert any("已于" in m for m in findings(tmp_path, entry(extra="  effective_until: 2020-01-01\n")))


def test_colliding_paraphrases_across_entries(tmp_path: Path) -> None:
    text = entry("card_a") + entry("card_b", questions="[" + ", ".join(
        ["问法card_a1？"] + [f"其他{i}" for i in range(9)]) + "]")
    assert any("与 card_a 重复" in m for m in findings(tmp_path, text))


def test_compiled_responses_cite_the_source_and_have_short_variants() -> None:
    data = kb_compile.to_rasa(load(FIXTURE), TODAY)
    variants = data["responses"]["utter_faq/pension_min_contribution_years"]
    assert "依据：《中华人民共和国社会保险法》第十六条" in variants[0]["text"]
    short = {v["channel"]: v["text"] for v in variants if "channel" in v}
    assert set(short) == {"sms", "voice"} and all(len(t) <= 134 for t in short.values())
    assert short["sms"].endswith("（依据《社会保险法》）")
    intents = [item["intent"] for item in data["nlu"]]
    assert "faq/card_report_loss" in intents


def test_drafts_switch_on_at_their_date(tmp_path: Path) -> None:
    (tmp_path / "t.yml").write_text(entry(extra="  effective_from: 2027-01-01\n").replace(
        "status: published", "status: draft"), encoding="utf-8")
    kb = load(tmp_path)
    assert kb.live(TODAY) == ()
    assert [e.id for e in kb.live(dt.date(2027, 1, 1))] == ["card_x"]
