"""The official account's menu: read ``menu.yml``, check it against WeChat's limits,
and split it into what WeChat is sent and what a CLICK stands for (key → payload)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MENU_FILE = Path(__file__).with_name("menu.yml")
MAX_TOP, MAX_SUB = 3, 5
TOP_NAME_BYTES, SUB_NAME_BYTES, KEY_BYTES, URL_BYTES = 16, 60, 128, 1024
TYPES = frozenset({"click", "view"})


class MenuError(ValueError):
    pass


def load(path: Path = MENU_FILE) -> dict[str, Any]:
    try:
        menu = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MenuError(f"{path}: {exc}") from exc
    check(menu)
    return dict(menu)


def check(menu: Any) -> None:
    buttons = menu.get("button") if isinstance(menu, dict) else None
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_TOP:
        raise MenuError(f"1–{MAX_TOP} top-level buttons are needed")
    for top in buttons:
        _name(top, TOP_NAME_BYTES)
        subs = top.get("sub_button")
        if subs is None:
            _leaf(top)
            continue
        if not isinstance(subs, list) or not 1 <= len(subs) <= MAX_SUB:
            raise MenuError(f"{top['name']}: 1–{MAX_SUB} sub-buttons are needed")
        for sub in subs:
            _name(sub, SUB_NAME_BYTES)
            _leaf(sub)


def _name(button: Any, limit: int) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("name"), str) or not button["name"]:
        raise MenuError("every button needs a name")
    if len(button["name"].encode()) > limit:
        raise MenuError(f"{button['name']}: a name of at most {limit} bytes")


def _leaf(button: dict[str, Any]) -> None:
    kind = button.get("type")
    if kind not in TYPES:
        raise MenuError(f"{button['name']}: type must be one of {sorted(TYPES)}")
    if kind == "click":
        key, payload = button.get("key"), button.get("payload")
        if not isinstance(key, str) or not key or len(key.encode()) > KEY_BYTES:
            raise MenuError(f"{button['name']}: a key of 1–{KEY_BYTES} bytes")
        if not isinstance(payload, str) or not payload.strip():
            raise MenuError(f"{button['name']}: a payload (what the bot receives)")
    elif not str(button.get("url") or "").startswith(("https://", "http://")) \
            or len(str(button["url"]).encode()) > URL_BYTES:
        raise MenuError(f"{button['name']}: a url of at most {URL_BYTES} bytes")


def _leaves(menu: dict[str, Any]) -> list[dict[str, Any]]:
    return [sub for top in menu["button"] for sub in (top.get("sub_button") or [top])]


def payloads(menu: dict[str, Any]) -> dict[str, str]:
    """CLICK key → what the bot receives."""
    return {b["key"]: b["payload"].strip() for b in _leaves(menu) if b["type"] == "click"}


def for_wechat(menu: dict[str, Any]) -> dict[str, Any]:
    """The body of 自定义菜单创建接口: our payloads are ours alone."""

    def button(b: dict[str, Any]) -> dict[str, Any]:
        if "sub_button" in b:
            return {"name": b["name"], "sub_button": [button(s) for s in b["sub_button"]]}
        kept = ("type", "name", "key") if b["type"] == "click" else ("type", "name", "url")
        return {k: b[k] for k in kept}

    return {"button": [button(b) for b in menu["button"]]}
