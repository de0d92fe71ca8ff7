"""``hotline eval FILE.jsonl``: topic accuracy and answered rate through the running gateway.

Each line ``{"q": "...", "topic": "..."}`` is sent as the first message of a fresh web
chat session, exactly as a citizen would send it. A reply counts as *answered* when the
bot gave an answer (a knowledge-base entry or a dialogue intent) rather than its
"I did not understand" fallback or a holding answer. The last line printed is one JSON
object (``n``, ``topic_accuracy``, ``answered_rate``, …) for scripts.
"""

from __future__ import annotations

import collections
import json
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

UNANSWERED_INTENTS = frozenset({None, "nlu_fallback"})


def load(path: Path) -> list[dict[str, str]]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            items.append({"q": str(item["q"]), "topic": str(item["topic"])})
        except (ValueError, KeyError, TypeError) as exc:
            raise SystemExit(f"{path}:{number}: 不是 {{\"q\", \"topic\"}} 格式的 JSON 行（{exc}）") from exc
    return items


def ask(client: httpx.Client, url: str, question: str) -> dict[str, Any]:
    body = {"session_id": f"eval-{uuid.uuid4().hex}", "text": question}
    response = client.post(url, json=body)
    response.raise_for_status()
    return dict(response.json())


def score(items: list[dict[str, str]], replies: list[dict[str, Any]]) -> dict[str, Any]:
    per_topic: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    confusion: collections.Counter[tuple[str, str]] = collections.Counter()
    answered = correct = 0
    for item, reply in zip(items, replies, strict=True):
        meta = reply.get("meta") or {}
        predicted = meta.get("topic") or "none"
        is_answered = reply.get("status") == "answered" and meta.get("intent") not in UNANSWERED_INTENTS
        answered += is_answered
        hit = predicted == item["topic"]
        correct += hit
        per_topic[item["topic"]][0] += hit
        per_topic[item["topic"]][1] += 1
        if not hit:
            confusion[(item["topic"], predicted)] += 1
    n = len(items)
    return {
        "n": n,
        "topic_accuracy": round(correct / n, 4) if n else 0.0,
        "answered_rate": round(answered / n, 4) if n else 0.0,
        "per_topic": {t: round(c / total, 4) for t, (c, total) in sorted(per_topic.items())},
        "confusions": [{"expected": e, "got": g, "count": c} for (e, g), c in confusion.most_common(15)],
    }


def run(path: Path, base_url: str, workers: int = 4) -> dict[str, Any]:
    items = load(path)
    url = base_url.rstrip("/") + "/api/v1/webchat/messages"
    started = time.monotonic()
    with httpx.Client(timeout=30) as client, ThreadPoolExecutor(workers) as pool:
        replies = list(pool.map(lambda item: ask(client, url, item["q"]), items))
    result = score(items, replies)
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def report(result: dict[str, Any]) -> None:
    print(f"共 {result['n']} 题，主题准确率 {result['topic_accuracy']:.1%}，"
          f"答复率 {result['answered_rate']:.1%}（{result['seconds']} 秒）")
    print("各主题准确率：")
    for topic, accuracy in result["per_topic"].items():
        print(f"  {topic:13s} {accuracy:6.1%}")
    if result["confusions"]:
        print("最常见的混淆（应为 → 实为 × 次数）：")
        for c in result["confusions"]:
            print(f"  {c['expected']} → {c['got']} × {c['count']}")
    print(json.dumps(result, ensure_ascii=False))


def main(path: str, base_url: str) -> int:
    try:
        result = run(Path(path), base_url)
    except httpx.HTTPError as exc:
        print(f"✗ 无法通过网关 {base_url} 评测（{type(exc).__name__}）：请先运行 make run。", file=sys.stderr)
        return 2
    report(result)
    return 0
