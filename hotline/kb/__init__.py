"""The policy knowledge base: loading, checking and compiling it for Rasa."""

from hotline.kb.model import TOPICS, Entry, KnowledgeBase, KnowledgeBaseError, load

__all__ = ["TOPICS", "Entry", "KnowledgeBase", "KnowledgeBaseError", "load"]
