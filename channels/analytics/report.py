"""``hotline report --week …``: the weekly hot-issue report for business departments, as
Markdown with SVG charts beside it, from the analytics database.

``hotline analytics purge`` applies the retention policy now (the gateway also does it
daily). Both read ``ANALYTICS_DATABASE_URL`` (default: SQLite in the state folder) and
``ANALYTICS_RETENTION_DAYS``, like the gateway.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from sqlalchemy import Engine

from channels.analytics import charts, queries, store
from channels.analytics.events import BEIJING
from channels.analytics.pages import channel_name, percent, topic_name
from channels.analytics.queries import Filters


def parse_week(text: str | None, today: dt.date | None = None) -> dt.date:
    """The Monday of ``2026-W47`` or of the week holding a date; default: last full week."""
    today = today or dt.datetime.now(BEIJING).date()
    if not text:
        return today - dt.timedelta(days=today.weekday() + 7)
    if "-W" in text.upper():
        year, week = text.upper().split("-W")
        return dt.date.fromisocalendar(int(year), int(week), 1)
    day = dt.date.fromisoformat(text)
    return day - dt.timedelta(days=day.weekday())


def write_weekly(engine: Engine, monday: dt.date, out: Path, region: str | None = None) -> Path:
    f = Filters(monday, monday + dt.timedelta(days=6), region)
    with engine.connect() as conn:
        rates = queries.rates(conn, f)
        topics = queries.hot_topics(conn, f)
        questions = queries.hot_questions(conn, f, limit=15)
        daily = queries.daily(conn, f)
        regions = queries.hot_by_topic_region(conn, f)
        sat = queries.satisfaction(conn, f)
    year, week, _ = monday.isocalendar()
    name = f"{year}-W{week:02d}"
    out.mkdir(parents=True, exist_ok=True)
    top = topics[:10]
    (out / f"hot-topics-{name}.svg").write_text(charts.bars(
        "热点业务咨询量（本周与上周）", [topic_name(t["key"]) for t in top],
        {"本周": [t["count"] for t in top], "上周": [t["previous"] for t in top]}), encoding="utf-8")
    (out / f"daily-{name}.svg").write_text(charts.lines(
        "每日咨询量", [d["day"][5:] for d in daily], {"咨询量": [d["turns"] for d in daily]}),
        encoding="utf-8")
    lines = [
        f"# 12333 热点问题周报（{f.date_from} 至 {f.date_to}{'，' + region if region else ''}）", "",
        f"本周共受理咨询 {rates['turns']} 轮、{rates['conversations']} 个会话；自助解决率 "
        f"{percent(rates['self_service_rate'])}，未答复率 {percent(rates['fallback_rate'])}，转人工率 "
        f"{percent(rates['handoff_rate'])}，投诉 {rates['complaints']} 件"
        f"（投诉率 {percent(rates['complaint_rate'])}）。",
        "", f"![热点业务](hot-topics-{name}.svg)", "", f"![每日咨询量](daily-{name}.svg)", "",
        "## 热点业务", "", "| 业务 | 本周 | 上周 | 变化 |", "|---|---|---|---|",
        *[f"| {topic_name(t['key'])} | {t['count']} | {t['previous']} | {_change(t)} |" for t in topics],
        "", "## 热点问题（知识库条目）", "", "| 条目 | 业务 | 本周 | 上周 | 变化 |", "|---|---|---|---|---|",
        *[f"| {q['key']} | {topic_name(q['topic'])} | {q['count']} | {q['previous']} | {_change(q)} |"
          for q in questions],
        "", "## 分地区热点", "", "| 业务 | 地区 | 咨询量 |", "|---|---|---|",
        *[f"| {topic_name(r['topic'])} | {r['region'] or '未知'} | {r['count']} |" for r in regions[:30]],
        "", "## 各渠道满意度", "", "| 渠道 | 评价数 | 平均分 | 满意率 |", "|---|---|---|---|",
        *[f"| {channel_name(s['channel'])} | {s['ratings']} | {_mean(s['mean'])} | "
          f"{percent(s['satisfied_rate'])} |" for s in sat],
        "", "说明：数据来自智能客服的脱敏事件记录（docs/analytics.md）；"
        "“新升”指上周未出现或增长一倍以上的问题。", "",
    ]
    path = out / f"hot-issues-{name}.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _change(row: dict[str, object]) -> str:
    change = row["change"]
    text = "—" if change is None else f"{float(change) * 100:+.0f}%"  # type: ignore[arg-type]
    return text + ("（新升）" if row["rising"] else "")


def engine_from_env() -> Engine:
    return store.connect(os.environ.get("ANALYTICS_DATABASE_URL") or None)


def retention_days() -> int:
    return int(os.environ.get("ANALYTICS_RETENTION_DAYS") or store.DEFAULT_RETENTION_DAYS)


def _mean(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"
