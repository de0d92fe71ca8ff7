"""Fusing Rasa's ResponseSelector with the gateway's dense and BM25 retrieval.

The gateway encodes the citizen's question off its event loop and sends the dense and
BM25 rankings in the signed message metadata (``metadata.retrieval``). This component
runs after the ResponseSelector and before the FallbackClassifier: it fuses the three
rankings by rank (:mod:`hotline.retrieval.fusion`), makes the fused ranking the
ResponseSelector's answer, and decides the intent:

* fused and confident → ``faq`` with a confidence that passes the fallback threshold;
* ``faq`` but not confident → confidence 0, so the FallbackClassifier turns it into
  ``nlu_fallback`` and the clarifying action offers the fused top three;
* a dialogue intent (greet, request_human …) that DIET is sure of is left alone.

Without retrieval metadata (the gateway's encoder is off) nothing changes: that is the
"DIET alone" configuration of the ablation in BENCHMARKS.md.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from hotline.retrieval.fusion import DEFAULT_WEIGHTS, fuse

RETRIEVAL_INTENT = "faq"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class FusedRetrieval(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"weights": dict(DEFAULT_WEIGHTS), "dialogue_confidence": 0.7}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "FusedRetrieval":
        return cls(config)

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.weights = {**DEFAULT_WEIGHTS, **(config.get("weights") or {})}
        self.dialogue_confidence = float(config.get("dialogue_confidence", 0.7))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._process(message)
        return messages

    def _process(self, message: Message) -> None:
        retrieval = (message.get("metadata") or {}).get("retrieval")
        selector = (message.get("response_selector") or {}).get(RETRIEVAL_INTENT)
        if not isinstance(retrieval, dict) or not selector:
            return
        rasa_ranking = [
            (str(r.get("intent_response_key", "")).split("/", 1)[-1], float(r.get("confidence") or 0))
            for r in selector.get("ranking") or []
        ]
        rankings = {"dense": _pairs(retrieval.get("dense")), "bm25": _pairs(retrieval.get("bm25")),
                    "rasa": rasa_ranking}
        decision = fuse(rankings, self.weights)
        if not decision.ranking:
            return
        top_id, top_share = decision.ranking[0]
        response = dict(selector.get("response") or {})
        response.update({
            "intent_response_key": f"{RETRIEVAL_INTENT}/{top_id}",
            "utter_action": f"utter_{RETRIEVAL_INTENT}/{top_id}",
            "confidence": top_share,
        })
        selector["response"] = response
        selector["ranking"] = [{"intent_response_key": f"{RETRIEVAL_INTENT}/{f}", "confidence": s}
                               for f, s in decision.ranking]
        self._set_intent(message, decision.confident, top_share)

    def _set_intent(self, message: Message, confident: bool, share: float) -> None:
        intent = dict(message.get("intent") or {})
        name, confidence = intent.get("name"), float(intent.get("confidence") or 0)
        if name != RETRIEVAL_INTENT and confidence >= self.dialogue_confidence:
            return
        if confident:
            new = max(confidence if name == RETRIEVAL_INTENT else 0.0, 0.5 + share / 2)
            _rank_first(message, RETRIEVAL_INTENT, new)
        elif name == RETRIEVAL_INTENT:
            _rank_first(message, RETRIEVAL_INTENT, 0.0)


def _pairs(raw: Any) -> List[tuple]:
    if not isinstance(raw, list):
        return []
    pairs = [item for item in raw if isinstance(item, (list, tuple)) and len(item) == 2]
    return [(str(faq_id), float(score)) for faq_id, score in pairs]


def _rank_first(message: Message, name: str, confidence: float) -> None:
    """Set the intent and keep the ranking consistent for the FallbackClassifier."""
    ranking: List[Dict[str, Any]] = [dict(r) for r in message.get("intent_ranking") or []
                                     if r.get("name") != name]
    if confidence > 0:
        others = sum(float(r.get("confidence") or 0) for r in ranking)
        scale = (1 - confidence) / others if others > 0 else 0.0
        for r in ranking:
            r["confidence"] = float(r.get("confidence") or 0) * scale
    entry: Optional[Dict[str, Any]] = {"name": name, "confidence": confidence}
    message.set("intent", entry, add_to_output=True)
    message.set("intent_ranking", [entry, *ranking] if confidence > 0 else [*ranking, entry],
                add_to_output=True)
