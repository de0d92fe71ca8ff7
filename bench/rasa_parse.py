"""Parse texts with a trained Rasa model, in the bot environment (it imports rasa).

Used by the cross-validation benchmark: ``.venv/bot/bin/python -m bench.rasa_parse
MODEL IN.json OUT.json`` writes, for each text, the DIET intent ranking and the
ResponseSelector's ranking of knowledge-base entries.
"""

from __future__ import annotations

import asyncio
import json
import sys


async def _parse(model: str, texts: list) -> list:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    results = []
    for text in texts:
        data = await agent.parse_message(text)
        selector = (data.get("response_selector") or {}).get("faq") or {}
        results.append({
            "intent_ranking": [{"name": r.get("name"), "confidence": float(r.get("confidence") or 0)}
                               for r in (data.get("intent_ranking") or [])[:3]],
            "candidates": [{"faq_id": str(r.get("intent_response_key", "")).split("/", 1)[-1],
                            "confidence": float(r.get("confidence") or 0)}
                           for r in (selector.get("ranking") or [])[:10]],
        })
    return results


def main() -> int:
    model, source, target = sys.argv[1:4]
    with open(source, encoding="utf-8") as handle:
        texts = json.load(handle)
    results = asyncio.run(_parse(model, texts))
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(results, handle, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
