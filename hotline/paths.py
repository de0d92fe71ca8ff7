"""Where things live in a checkout. Everything generated is git-ignored."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("HOTLINE_ROOT", Path(__file__).resolve().parent.parent))
STATE = ROOT / ".hotline"            # secrets, embedded Redis data, pid files
LOGS = ROOT / "logs"
MODELS = ROOT / "models"
BUILD = ROOT / "build"
KB = Path(os.environ.get("HOTLINE_KB_DIR", ROOT / "nlu_data" / "kb"))
DIALOGUE_DATA = ROOT / "nlu_data" / "dialogue"
JIEBA = ROOT / "nlu_data" / "jieba"
CONFIG = ROOT / "config.yml"
DOMAIN = ROOT / "bot" / "domain"
ENDPOINTS = ROOT / "bot" / "endpoints.yml"
CREDENTIALS = ROOT / "bot" / "credentials.yml"
VENV = ROOT / ".venv"
BOT_BIN = VENV / "bot" / "bin"
APP_BIN = VENV / "app" / "bin"
