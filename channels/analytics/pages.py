# ruff: noqa: E501  (HTML templates read better unwrapped)
"""The dashboard's HTML: plain server-rendered pages, every value escaped, charts inline
(channels/analytics/charts.py). Figures carry ``data-kpi`` attributes for tests."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi.responses import HTMLResponse

from channels.analytics import charts
from channels.analytics.queries import Filters

CHANNELS = {"webchat": "网页", "wechat": "微信", "sms": "短信", "voice": "电话"}
TOPICS = {"pension": "养老保险", "medical": "医疗保险", "unemployment": "失业保险", "injury": "工伤保险",
          "maternity": "生育保险", "card": "社保卡", "transfer": "转移接续", "retirement": "退休",
          "employment": "就业创业", "training": "职业培训", "contract": "劳动合同", "arbitration": "劳动仲裁",
          "wages": "工资待遇", "archives": "人事档案", "title": "职称评审", "talent": "人才服务",
          "housing_fund": "住房公积金", "other": "其他"}
STYLE = """body{font-family:'WenQuanYi Micro Hei','Noto Sans CJK SC',sans-serif;margin:0;color:#222;background:#f5f6f8}
header{background:#1f4e8c;color:#fff;padding:10px 20px;display:flex;justify-content:space-between}
header a{color:#fff;margin-left:14px}main{padding:16px 20px;max-width:1200px}
form.filters{background:#fff;padding:10px;border-radius:6px;margin-bottom:14px}
form.filters label{margin-right:12px}.cards{display:flex;flex-wrap:wrap;gap:10px;margin-bottom:14px}
.card{background:#fff;border-radius:6px;padding:10px 14px;min-width:130px}
.card b{display:block;font-size:22px;color:#1f4e8c}.card span{font-size:13px;color:#555}
section{background:#fff;border-radius:6px;padding:10px 14px;margin-bottom:14px}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{border-bottom:1px solid #e3e3e3;padding:4px 6px;text-align:left}
.up{color:#b23a48}.down{color:#3a9a5b}.tag{background:#b23a48;color:#fff;border-radius:3px;padding:0 4px;font-size:12px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:14px}svg{width:100%;height:auto}"""


def html(body: str) -> HTMLResponse:
    return HTMLResponse(body, headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                       "Content-Security-Policy": "default-src 'self'; style-src 'unsafe-inline'; "
                                                                  "img-src 'self' data:; frame-ancestors 'none'"})


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def channel_name(name: str | None) -> str:
    return CHANNELS.get(name or "", name or "—")


def topic_name(name: str | None) -> str:
    return TOPICS.get(name or "", name or "—")


def _frame(title: str, user: str, f: Filters, body: str, action: str) -> str:
    options = "".join(f"<option value='{k}'{' selected' if f.channel == k else ''}>{v}</option>"
                      for k, v in CHANNELS.items())
    query = f"from={f.date_from}&amp;to={f.date_to}&amp;region={escape(f.region or '')}&amp;channel={f.channel or ''}"
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{escape(title)} · 12333</title>
<style>{STYLE}</style></head><body><header><div>12333 智能客服 · {escape(title)}</div>
<nav>{escape(user)}<a href="/dashboard/?{query}">监测</a><a href="/dashboard/review?{query}">未答复问题</a>
<a href="/dashboard/quality?{query}">质检</a><a href="/agent/">坐席工作台</a></nav></header><main>
<form class="filters" method="get" action="{action}">
<label>起 <input type="date" name="from" value="{f.date_from}"></label>
<label>止 <input type="date" name="to" value="{f.date_to}"></label>
<label>地区 <input name="region" value="{escape(f.region or '')}" placeholder="全部" size="8"></label>
<label>渠道 <select name="channel"><option value="">全部</option>{options}</select></label>
<button type="submit">查询</button></form>{body}</main></body></html>"""


def _card(key: str, label: str, value: str) -> str:
    return f"<div class='card'><b data-kpi='{key}'>{escape(value)}</b><span>{escape(label)}</span></div>"


def _trend(row: dict[str, Any]) -> str:
    change = row["change"]
    arrow = "—" if change is None else (f"<span class='up'>↑{change * 100:.0f}%</span>" if change > 0 else
                                        f"<span class='down'>↓{-change * 100:.0f}%</span>" if change < 0 else "持平")
    return arrow + (" <span class='tag'>新升</span>" if row["rising"] else "")


def dashboard(data: dict[str, Any], f: Filters, user: str) -> str:
    r, calls = data["rates"], data["connection"]
    cards = "".join([
        _card("turns", "咨询量（轮次）", str(r["turns"])),
        _card("conversations", "会话数", str(r["conversations"])),
        _card("self_service_rate", "自助解决率", percent(r["self_service_rate"])),
        _card("fallback_rate", "未答复率", percent(r["fallback_rate"])),
        _card("handoff_rate", "转人工率", percent(r["handoff_rate"])),
        _card("complaint_rate", "投诉率", percent(r["complaint_rate"])),
        _card("connection_rate", "电话接通率", percent(calls["connection_rate"])),
    ])
    hours = [f"{h}时" for h in range(24)]
    by_hour: dict[str, list[float]] = {}
    for row in data["volume"]["by_hour"]:
        by_hour.setdefault(channel_name(row["channel"]), [0.0] * 24)[row["hour"]] = row["turns"]
    days = [d["day"][5:] for d in data["daily"]]
    trend = charts.lines("每日自助解决率与转人工率", days, {
        "自助解决率": [d["self_service_rate"] for d in data["daily"]],
        "转人工率": [d["handoff_rate"] for d in data["daily"]]}, percent=True)
    topics = "".join(
        f"<tr data-topic='{escape(t['key'])}'><td>{escape(topic_name(t['key']))}</td><td data-col='count'>{t['count']}"
        f"</td><td>{t['previous']}</td><td>{_trend(t)}</td></tr>" for t in data["hot_topics"])
    questions = "".join(
        f"<tr data-faq='{escape(q['key'])}'><td>{escape(q['key'])}</td><td>{escape(topic_name(q['topic']))}</td>"
        f"<td data-col='count'>{q['count']}</td><td>{q['previous']}</td><td>{_trend(q)}</td></tr>"
        for q in data["hot_questions"])
    sat = "".join(
        f"<tr data-channel='{escape(s['channel'])}'><td>{escape(channel_name(s['channel']))}</td>"
        f"<td data-col='ratings'>{s['ratings']}</td>"
        f"<td data-col='mean'>{'—' if s['mean'] is None else format(s['mean'], '.2f')}</td>"
        f"<td data-col='satisfied'>{percent(s['satisfied_rate'])}</td>"
        f"<td data-col='no_answer'>{s['no_answer']}</td></tr>" for s in data["satisfaction"])
    agents = "".join(
        f"<tr data-agent='{escape(a['agent'])}'><td>{escape(a['agent'])}</td><td data-col='taken'>{a['taken']}</td>"
        f"<td>{a['closed']}</td><td>{a['mean_wait_s'] if a['mean_wait_s'] is not None else '—'}</td>"
        f"<td>{a['mean_handle_s'] if a['mean_handle_s'] is not None else '—'}</td></tr>" for a in data["agents"])
    query = f"from={f.date_from}&amp;to={f.date_to}&amp;region={escape(f.region or '')}&amp;channel={f.channel or ''}"
    body = f"""<div class="cards">{cards}</div>
<div class="grid"><section>{charts.bars("各渠道分时段咨询量", hours, by_hour or {"无数据": [0.0] * 24})}</section>
<section>{trend}</section></div>
<div class="grid"><section><h3>热点业务（与上一周期比）</h3><table id="hot-topics"><tr><th>业务</th><th>本期</th>
<th>上期</th><th>趋势</th></tr>{topics}</table></section>
<section><h3>热点问题</h3><table id="hot-questions"><tr><th>问题编号</th><th>业务</th><th>本期</th><th>上期</th>
<th>趋势</th></tr>{questions}</table></section></div>
<div class="grid"><section><h3>各渠道满意度</h3><table id="satisfaction"><tr><th>渠道</th><th>评价数</th>
<th>平均分</th><th>满意率</th><th>未评价</th></tr>{sat}</table>
<p>电话：呼入 <span data-kpi="calls_offered">{calls['offered']}</span> 个，接通
<span data-kpi="calls_answered">{calls['answered']}</span> 个。投诉 <span data-kpi="complaints">{r['complaints']}</span> 件。</p>
</section><section><h3>坐席工作量</h3><table id="agents"><tr><th>坐席</th><th>接入</th><th>结束</th>
<th>平均排队（秒）</th><th>平均处理（秒）</th></tr>{agents}</table></section></div>
<section>导出：<a href="/api/v1/dashboard/export?kind=daily&amp;format=csv&amp;{query}">每日指标 CSV</a> ·
<a href="/api/v1/dashboard/export?kind=daily&amp;format=json&amp;{query}">每日指标 JSON</a> ·
<a href="/api/v1/dashboard/export?kind=hot&amp;format=csv&amp;{query}">分业务分地区热点 CSV</a></section>"""
    return _frame("监测分析", user, f, body, "/dashboard/")


def review(rows: list[dict[str, Any]], f: Filters, user: str) -> str:
    items = "".join(
        f"<tr><td data-col='text'>{escape(r['text'])}</td><td>{r['count']}</td><td>{r['fallback']}</td>"
        f"<td>{r['clarified']}</td><td>{r['low_confidence']}</td><td>{escape(topic_name(r['topic']))}</td>"
        f"<td>{r['first_seen']}</td><td>{r['last_seen']}</td></tr>" for r in rows)
    query = f"from={f.date_from}&amp;to={f.date_to}"
    body = f"""<section><p>未答复、追问澄清和低置信度的问题（已脱敏、按文字归并）。
<a href="/api/v1/dashboard/review?format=csv&amp;{query}">导出 CSV</a>；生成知识库草稿：
<code>POST /api/v1/dashboard/review/draft</code>。</p>
<table id="review"><tr><th>问题</th><th>次数</th><th>未答复</th><th>澄清</th><th>低置信</th><th>业务</th>
<th>首次</th><th>最近</th></tr>{items}</table></section>"""
    return _frame("未答复问题清单", user, f, body, "/dashboard/review")


def quality(samples: list[dict[str, Any]], results: list[dict[str, Any]], f: Filters, user: str) -> str:
    rows = "".join(
        f"<tr><td>{s['id']}</td><td>{s['day']}</td><td>{escape(s['rule_label'])}</td>"
        f"<td>{escape(channel_name(s['channel']))}</td><td>{escape(s['agent'] or '智能客服')}</td>"
        f"<td>{s['total'] if s['total'] is not None else '待评分'}</td></tr>" for s in samples)
    chart = charts.lines("质检平均分", [r["day"][5:] for r in results],
                         {"平均分": [r["mean_total"] for r in results]}) if results else ""
    body = f"""<section>{chart}<table id="quality"><tr><th>样本</th><th>日期</th><th>抽取规则</th><th>渠道</th>
<th>服务方</th><th>得分</th></tr>{rows}</table><p>抽样：<code>POST /api/v1/dashboard/quality/samples</code>；
评分：<code>POST /api/v1/dashboard/quality/samples/{{id}}/score</code>（准确、态度、规范各1–5分，是否解决）。</p></section>"""
    return _frame("质量监控", user, f, body, "/dashboard/quality")
