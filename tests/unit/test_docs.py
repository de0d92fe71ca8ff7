"""The guides cannot silently go stale: their commands, settings, paths and routes are
checked against the code.

What is checked, and how (no more than this):

- Fenced blocks are marked by their language. ```` ```bash ````: every command line is
  split into simple commands; ``hotline …`` is parsed by ``hotline.cli.parser()``,
  ``make …`` by ``make -n``, ``python -m X`` by finding module X, ``curl`` URLs against the
  gateway's route table; any other program must be one of ``EXTERNAL_TOOLS`` (named, not
  run); every ``VAR=value`` and ``export VAR`` must be a setting the code reads; every
  repository path must exist (``/opt/hotline/…`` is the checkout). ```` ```env ````: each
  ``KEY`` is a real setting. ```` ```yaml kb-entry ````: loaded and linted as a knowledge-
  base entry. ```` ```redis ````, ```` ```sql ```` and ```` ```env hotline.env ```` in
  docs/operators.md are run by tests/integration/test_operator_guide.py. ```` ```text ````,
  ```` ```json ```` and untagged ```` ```yaml ```` are illustrations and not checked; the new
  guides may not leave a fence unmarked.
- In the guides' prose: backticked routes exist in the gateway (method included), backticked
  repository paths exist, backticked setting-like names are settings.
- The cheap commands the guides show are run for real: ``hotline --help``,
  ``hotline kb lint``, ``hotline kb stats``.
- deploy/: systemd units pass ``systemd-analyze verify`` (paths rewritten to this checkout;
  a structural parse where systemd-analyze is missing); the nginx snippet is checked
  structurally (balanced blocks, proxy target, routes, no query strings in its log format);
  backup.sh passes ``bash -n`` (tests/integration/test_operator_guide.py runs it).
- Tables generated from data: the SMS keywords (channels/sms/keywords.yml), the secrets
  (hotline/secrets.py), the metric names (channels/), the capacity figures (BENCHMARKS.md).
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from hotline import cli, paths
from hotline import secrets as hotline_secrets

ROOT = paths.ROOT
DOCS = ROOT / "docs"
GUIDES = [DOCS / f"{name}.md" for name in ("citizens", "agents", "kb-maintainers", "operators",
                                           "contributors")]
ALL_DOCS = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
LANGUAGES = {"bash", "env", "redis", "sql", "yaml", "text", "json"}
# Programs the guides may name without running them: the operating system's and the
# databases' own tools. A program missing here is a typo or an invented command.
EXTERNAL_TOOLS = {
    "apt-get", "cat", "cd", "chown", "cp", "createdb", "curl", "dropdb", "editor", "install",
    "ln", "ls", "mkdir", "mv", "nginx", "pg_restore", "psql", "redis-cli", "sed", "systemctl",
    "systemd-run", "useradd", "tail", "grep", "journalctl", "openssl",
    "pytest", "ruff", "mypy",   # the app environment's tools, by path: the path is checked
}
# Environment variables that are not the system's settings but may appear in snippets.
FOREIGN_ENV = {"HOME", "PATH", "PGPASSWORD", "REDISCLI_AUTH", "STAFF_PASSWORD"}
ROUTE_PREFIXES = ("/api/", "/healthz", "/metrics", "/wechat", "/sms/", "/agent", "/dashboard",
                  "/voice/", "/openapi.json")
REPO_DIRS = ("actions", "bench", "bot", "business", "channels", "deploy", "docs", "fakes", "hotline",
             "nlu_data", "requirements", "scripts", "speech", "tests", "voice", ".venv")
REPO_PATH = re.compile(r"^(?:/opt/hotline/)?((?:" + "|".join(map(re.escape, REPO_DIRS))
                       + r")/[\w./-]*|README\.md|BENCHMARKS\.md|SECURITY\.md|Makefile|config\.yml)$")
SETTING_LIKE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    language: str
    tag: str
    text: str

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = re.match(r"^(\s*)```(.*)$", lines[i])
        if not match:
            i += 1
            continue
        indent, info = len(match.group(1)), match.group(2).split()
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith("```"):
            body.append(lines[i][indent:] if not lines[i][:indent].strip() else lines[i].lstrip())
            i += 1
        i += 1
        found.append(Block(path, start, info[0] if info else "", " ".join(info[1:]), "\n".join(body)))
    return found


def checked(language: str, tag: str = "") -> list[Block]:
    return [b for p in ALL_DOCS for b in blocks(p) if b.language == language and (not tag or b.tag == tag)]


# -- what the code offers ------------------------------------------------------------------

@lru_cache(maxsize=1)
def known_settings() -> frozenset[str]:
    """Every environment variable some part of the system reads."""
    names: set[str] = set()
    python = re.compile(r"""(?:environ|env)(?:\.get|\.setdefault)?[(\[]\s*["']([A-Z][A-Z0-9_]+)["']"""
                        r"""|(?:_alias|AliasChoices)\(\s*["']([A-Z][A-Z0-9_]+)["']""")
    for directory in ("channels", "actions", "business", "hotline", "voice", "speech", "bench", "fakes"):
        for source in (ROOT / directory).rglob("*.py"):
            for match in python.finditer(source.read_text(encoding="utf-8")):
                names.add(match.group(1) or match.group(2))
    shell = re.compile(r"\$\{([A-Z][A-Z0-9_]+)")
    for source in [*ROOT.glob("bot/*.yml"), *ROOT.glob("scripts/*.sh"), *ROOT.glob("deploy/*.sh")]:
        names.update(shell.findall(source.read_text(encoding="utf-8")))
    names.update(re.findall(r"\$\(or \$\(([A-Z][A-Z0-9_]+)\)", (ROOT / "Makefile").read_text()))
    return frozenset(names)


def settings_models() -> dict[str, set[str]]:
    from business.settings import Settings as BusinessSettings
    from channels.settings import Settings as GatewaySettings
    from voice.settings import VoiceSettings

    out: dict[str, set[str]] = {}
    for model in (GatewaySettings, BusinessSettings, VoiceSettings):
        names: set[str] = set()
        for field in model.model_fields.values():
            alias = field.validation_alias
            names.update(c for c in getattr(alias, "choices", [alias]) if isinstance(c, str))
        out[model.__module__] = names
    return out


@lru_cache(maxsize=1)
def gateway_app() -> object:
    from channels.app import create_app
    from tests.unit.conftest import settings

    # Nothing connects until the lifespan starts: the route table is all that is read.
    return create_app(settings("redis://127.0.0.1:1/0"))


def route_exists(path: str, method: str = "GET") -> bool:
    from starlette.routing import Match

    path = path.split("?")[0].replace("…", "x")
    path = re.sub(r"\{provider\}", "aliyun", path)
    path = re.sub(r"\{[^}]*\}|<[^>]*>", "x", path)
    websocket = path.rstrip("/").endswith("/ws")
    scope: dict[str, Any] = {"type": "websocket" if websocket else "http", "path": path, "root_path": "",
             "method": method, "headers": [], "query_string": b""}
    app = gateway_app()
    return any(route.matches(scope)[0] == Match.FULL for route in app.routes)  # type: ignore[attr-defined]


# -- commands --------------------------------------------------------------------------------

def commands(block: Block) -> list[list[str]]:
    """Simple commands of a bash block: continuations joined, comments dropped, split at
    ``&&``, ``||``, ``;`` and ``|``."""
    out: list[list[str]] = []
    for line in block.text.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars="|&;")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        for token in lexer:
            if token in ("&&", "||", ";", "|", "&"):
                if current:
                    out.append(current)
                current = []
            else:
                current.append(token)
        if current:
            out.append(current)
    return out


def unwrap(tokens: list[str], problems: list[str], where: str) -> list[str]:
    """Drop ``sudo [-u user]``, ``env``, ``export`` and leading ``VAR=value`` (checking VAR)."""
    while tokens:
        head = tokens[0]
        if head == "sudo":
            tokens = tokens[1:]
            while tokens and tokens[0].startswith("-"):
                tokens = tokens[2:] if tokens[0] in ("-u", "-g") else tokens[1:]
        elif head in ("env", "export"):
            tokens = tokens[1:]
        elif re.match(r"^[A-Z][A-Z0-9_]*=", head):
            name = head.split("=", 1)[0]
            if name not in known_settings() | FOREIGN_ENV:
                problems.append(f"{where}: {name} is not a setting the code reads")
            tokens = tokens[1:]
        else:
            break
    return tokens


def check_paths(tokens: list[str], problems: list[str], where: str) -> None:
    for token in tokens:
        value = token.split("=", 1)[1] if re.match(r"^-?[\w-]+=", token) else token
        match = REPO_PATH.match(value)
        if match and not (ROOT / match.group(1)).exists():
            problems.append(f"{where}: {value} does not exist in the repository")


def check_hotline(args: list[str], problems: list[str], where: str) -> None:
    try:
        cli.parser().parse_args(args)
    except SystemExit:
        problems.append(f"{where}: `hotline {' '.join(args)}` is not a valid hotline command")


def check_make(args: list[str], problems: list[str], where: str) -> None:
    targets = []
    while args:
        if args[0] == "-C":
            args = args[2:]
        elif "=" in args[0] or args[0].startswith("-"):
            args = args[1:]
        else:
            targets.append(args[0])
            args = args[1:]
    rules = set(re.findall(r"^([\w.-]+)\s*:", (ROOT / "Makefile").read_text(), flags=re.M))
    for target in targets or ["setup"]:
        # A rule of the Makefile (not a file that happens to exist), and make accepts it.
        done = subprocess.run(["make", "-n", "-C", str(ROOT), target], capture_output=True, text=True)
        if target not in rules or done.returncode != 0:
            problems.append(f"{where}: `make {target}` is not a Makefile target")


def check_curl(args: list[str], problems: list[str], where: str) -> None:
    method = "POST" if any(a in ("-d", "--data", "--json") for a in args) else "GET"
    for i, arg in enumerate(args):
        if arg.startswith("-X"):
            method = arg[2:] or args[i + 1]
    for arg in args:
        url = re.match(r"^(?:https?://)?(?:localhost|127\.0\.0\.1|[\w.-]+\.gov\.cn)(?::(\d+))?(/\S*)", arg)
        if url and url.group(1) in (None, "8000") and not route_exists(url.group(2), method):
            problems.append(f"{where}: {method} {url.group(2)} is not a gateway route")


def check_command(tokens: list[str], problems: list[str], where: str) -> None:
    check_paths(tokens, problems, where)
    tokens = unwrap(tokens, problems, where)
    if not tokens:
        return
    program = tokens[0]
    # A hotline invoked by path or through a wrapper such as systemd-run.
    for i, token in enumerate(tokens):
        if (token == "hotline" and i == 0) or token.endswith("/bin/hotline"):
            return check_hotline(tokens[i + 1:], problems, where)
    if program.endswith("/python") or program in ("python", "python3"):
        if len(tokens) > 2 and tokens[1] == "-m" and importlib.util.find_spec(tokens[2]) is None:
            problems.append(f"{where}: no module {tokens[2]}")
        return
    if program == "make":
        return check_make(tokens[1:], problems, where)
    if program == "curl":
        check_curl(tokens[1:], problems, where)
    if Path(program).name not in EXTERNAL_TOOLS:
        problems.append(f"{where}: unknown program {program!r} (add it to EXTERNAL_TOOLS if real)")


# -- tests -----------------------------------------------------------------------------------

def test_the_guides_exist_and_the_readme_links_them() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for guide in GUIDES:
        assert guide.exists(), guide
        assert f"docs/{guide.name}" in readme, f"README.md does not link docs/{guide.name}"


def test_every_fence_in_the_guides_says_whether_it_is_checked() -> None:
    for guide in GUIDES:
        for block in blocks(guide):
            assert block.language in LANGUAGES, f"{block.where()}: mark the fence ({sorted(LANGUAGES)})"


def test_commands_in_bash_blocks_exist() -> None:
    problems: list[str] = []
    bash = checked("bash")
    assert len(bash) >= 10, "the guides' bash blocks were not found"
    for block in bash:
        for tokens in commands(block):
            check_command(tokens, problems, block.where())
    assert not problems, "\n".join(problems)


def test_the_checker_catches_invented_commands() -> None:
    block = Block(ROOT / "README.md", 1, "bash", "",
                  "hotline kb publish\nmake deploy\nFOO_BAR=1 hotline status\n"
                  "curl -s localhost:8000/api/v1/nothing\nfrobnicate docs/none.md\n"
                  "hotline train --force && hotline eval tests/data/heldout.jsonl")
    problems: list[str] = []
    for tokens in commands(block):
        check_command(tokens, problems, "example")
    text = "\n".join(problems)
    for wrong in ("kb publish", "make deploy", "FOO_BAR", "/api/v1/nothing", "frobnicate", "docs/none.md"):
        assert wrong in text
    assert "train" not in text and "eval" not in text


def test_environment_blocks_name_real_settings() -> None:
    env = checked("env")
    assert env, "no env blocks found"
    for block in env:
        for line in block.text.splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                name = line.split("=", 1)[0].strip()
                assert name in known_settings(), f"{block.where()}: {name} is not a setting"


def test_every_setting_is_documented() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in ALL_DOCS)
    for module, names in settings_models().items():
        missing = sorted(n for n in names if not re.search(rf"`{n}`|`{n}=", text))
        assert not missing, f"settings of {module} not in README.md or docs/: {missing}"


def test_names_and_paths_in_the_guides_prose_are_real() -> None:
    problems: list[str] = []
    for guide in [*GUIDES, ROOT / "README.md"]:
        prose = re.sub(r"```.*?```", "", guide.read_text(encoding="utf-8"), flags=re.S)
        for code in re.findall(r"`([^`\n]+)`", prose):
            route = re.match(r"^(?:(GET|POST|PUT|DELETE|PATCH) )?(/\S*)", code)
            if route and route.group(2).startswith(ROUTE_PREFIXES):
                if not route_exists(route.group(2), route.group(1) or "GET"):
                    problems.append(f"{guide.name}: route {code}")
                continue
            match = REPO_PATH.match(code)
            if match and not (ROOT / match.group(1)).exists():
                problems.append(f"{guide.name}: path {code}")
            name = code.split("=", 1)[0]
            if SETTING_LIKE.match(name) and name not in known_settings() | FOREIGN_ENV | {
                    "RASA_TELEMETRY_ENABLED"}:
                problems.append(f"{guide.name}: setting {name}")
    assert not problems, "\n".join(problems)


def test_route_checker_tells_routes_apart() -> None:
    assert route_exists("/healthz") and route_exists("/api/v1/webchat/messages", "POST")
    assert route_exists("/api/v1/webchat/ws") and route_exists("/sms/inbound/{provider}", "POST")
    assert not route_exists("/api/v1/webchat/messages", "DELETE")
    assert not route_exists("/api/v1/nowhere")


@pytest.mark.parametrize("args", [["--help"], ["kb", "lint"], ["kb", "stats"]])
def test_cheap_commands_run(args: list[str]) -> None:
    shown = "\n".join(b.text for b in checked("bash"))
    assert "hotline " + " ".join(args) in shown or args == ["--help"]
    done = subprocess.run([str(paths.APP_BIN / "hotline"), *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    if args == ["kb", "stats"]:
        assert json.loads(done.stdout)
    if args == ["--help"]:
        for name in ("run", "train", "kb", "eval", "staff", "report", "wechat"):
            assert name in done.stdout


def test_knowledge_base_example_is_a_valid_entry(tmp_path: Path) -> None:
    from hotline.kb import lint, model

    examples = checked("yaml", "kb-entry")
    assert examples, "docs/kb-maintainers.md has no ```yaml kb-entry block"
    for block in examples:
        path = tmp_path / "example.yml"
        path.write_text(block.text, encoding="utf-8")
        entries = model.load_file(path)
        errors = [f for f in lint.check(model.KnowledgeBase(tuple(entries))) if f.level == "error"]
        assert not errors, f"{block.where()}: {errors}"


def test_sms_keyword_table_matches_the_keyword_file() -> None:
    text = (DOCS / "citizens.md").read_text(encoding="utf-8")
    table = text.split("<!-- sms-keywords:start -->")[1].split("<!-- sms-keywords:end -->")[0]
    rows = [line.split("|")[1].strip() for line in table.splitlines()
            if line.startswith("|") and not line.startswith("|---") and "发送" not in line.split("|")[1]]
    documented = [frozenset(w.strip(" `") for w in row.split("、")) for row in rows]
    data = yaml.safe_load((ROOT / "channels/sms/keywords.yml").read_text(encoding="utf-8"))
    expected = [frozenset(k["words"]) for k in data["keywords"]]
    assert documented == expected, "the SMS keyword table in docs/citizens.md differs from keywords.yml"


def section(path: Path, heading: str) -> str:
    text = path.read_text(encoding="utf-8")
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start:end if end > 0 else None]


def test_operator_guide_lists_every_secret_and_metric() -> None:
    guide = DOCS / "operators.md"
    secrets_part = section(guide, "### Secrets")
    listed = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", secrets_part.split("\n\n`hotline run`")[0]))
    assert listed == set(hotline_secrets.NAMES)
    metrics = set()
    for source in [*(ROOT / "channels").rglob("*.py"), *(ROOT / "voice").rglob("*.py")]:
        metrics.update(re.findall(r"(?:Counter|Histogram|Gauge|Summary)\(\s*\"(hotline_\w+)\"",
                                  source.read_text(encoding="utf-8")))
    shown = set(re.findall(r"`(hotline_\w+)`", section(guide, "## 10. Monitoring")))
    assert metrics and shown >= metrics, f"metrics missing from the guide: {metrics - shown}"
    assert shown <= metrics | {"hotline_turns_total"}, f"no such metrics: {shown - metrics}"


def test_capacity_figures_are_quoted_from_the_benchmarks() -> None:
    benchmarks = (ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")
    part = section(DOCS / "operators.md", "## 11. Capacity")
    figures = re.findall(r"\d+\.\d+|\b\d{4}\b", part.split("\n\n", 2)[2].split("\n\n")[0])
    assert figures
    stale = [f for f in figures if f not in benchmarks]
    assert not stale, f"figures not in BENCHMARKS.md (rerun or update the guide): {stale}"


def test_systemd_units_verify(tmp_path: Path) -> None:
    units = sorted((ROOT / "deploy/systemd").glob("*.*"))
    assert {u.name for u in units} >= {"hotline.service", "hotline-backup.service", "hotline-backup.timer"}
    guide = (DOCS / "operators.md").read_text(encoding="utf-8")
    for unit in units:
        assert f"deploy/systemd/{unit.name}" in guide
        # Structural: sections, keys, the programs it runs and the environment file.
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(unit.read_text())
        assert parser.has_section("Unit")
        if unit.suffix == ".service":
            exec_start = parser.get("Service", "ExecStart").split()[0]
            assert (ROOT / exec_start.removeprefix("/opt/hotline/")).exists(), exec_start
            assert parser.get("Service", "EnvironmentFile") in guide
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/hotline", str(ROOT)))
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed: units checked structurally only")
    done = subprocess.run(["systemd-analyze", "verify", *map(str, sorted(tmp_path.iterdir()))],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_nginx_snippet_is_well_formed() -> None:
    from channels.settings import Settings

    conf = (ROOT / "deploy/nginx/hotline.conf").read_text()
    assert "deploy/nginx/hotline.conf" in (DOCS / "operators.md").read_text(encoding="utf-8")
    depth = 0
    for number, raw in enumerate(conf.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"line {number}: unbalanced braces"
        if line and not line.endswith(("{", "}", ";")) and not line.startswith("'"):
            # Multi-line directives (log_format) continue with a quoted string.
            assert raw.rstrip().endswith("'"), f"line {number}: statement without ';'"
    assert depth == 0
    port = Settings.model_fields["port"].default
    targets = set(re.findall(r"proxy_pass\s+(\S+);", conf))
    assert targets == {f"http://127.0.0.1:{port}"}
    for location in re.findall(r"location\s+=\s+(\S+)\s*\{", conf):
        assert route_exists(location), location
    log_formats = re.findall(r"log_format\s+\w+\s+(.*?);", conf, flags=re.S)
    assert log_formats
    for fmt in log_formats:
        assert not re.search(r"\$(request|args|query_string|request_uri)\b", fmt), fmt
    for access_log in re.findall(r"access_log\s+([^;]+);", conf):
        assert access_log.split()[-1] == "hotline_noquery", access_log


def test_backup_script_is_valid_bash() -> None:
    done = subprocess.run(["bash", "-n", str(ROOT / "deploy/backup.sh")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
