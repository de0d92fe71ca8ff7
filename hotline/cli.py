"""``hotline``: the operator's command line (run, train, status, kb …)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Sequence

import httpx

from hotline import paths


def cmd_run(args: argparse.Namespace) -> int:
    from hotline import supervisor, training

    started = time.monotonic()
    print("① 检查并训练对话模型…")
    model = training.train()
    print("② 启动服务…")
    stack = supervisor.Stack(supervisor.Ports.from_env(), model=model)
    try:
        stack.start_all()
    except supervisor.StartupError as exc:
        print(f"✗ {exc}", file=sys.stderr)
        stack.stop_all()
        return 1
    except KeyboardInterrupt:
        stack.stop_all()
        return 130
    print(f"\n12333 智能客服已启动（用时 {time.monotonic() - started:.0f} 秒）：")
    for label, url in stack.urls().items():
        print(f"  {label:8s} {url}")
    print(f"  日志目录   {paths.LOGS}\n按 Ctrl-C 停止全部服务。")
    stack.run_forever()
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from hotline import training

    try:
        training.train(force=args.force)
    except RuntimeError as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    url = args.url.rstrip("/") + "/healthz"
    try:
        response = httpx.get(url, timeout=5)
    except httpx.HTTPError as exc:
        print(f"✗ 网关 {args.url} 无法连接（{type(exc).__name__}）：系统可能没有启动，请运行 make run。")
        return 2
    body = response.json()
    for name, info in body.get("components", {}).items():
        mark = "✓" if info.get("status") == "ok" else "✗"
        detail = f"{info.get('latency_ms')} ms" if info.get("status") == "ok" else info.get("error", "")
        print(f"  {mark} {name:10s} {info.get('status'):12s} {detail}")
    print("整体状态：" + ("正常" if response.status_code == 200 else "异常（关键组件不可用）"))
    return 0 if response.status_code == 200 else 1


def cmd_kb(args: argparse.Namespace) -> int:
    from hotline.kb import lint

    if args.kb_command == "lint":
        return lint.main()
    if args.kb_command == "stats":
        print(json.dumps(lint.stats(), ensure_ascii=False, indent=2))
        return 0
    return 2


def cmd_eval(args: argparse.Namespace) -> int:
    from hotline import evaluate

    return evaluate.main(args.file, args.url)


# ``hotline bench NAME`` → the module in bench/ whose main() runs it (BENCHMARKS.md).
BENCHMARKS = {"foundation": "foundation", "nlu": "nlu", "cv": "crossval", "load": "load",
              "long": "long", "memory": "memory", "baseline": "baseline", "wechat": "wechat",
              "analytics": "analytics", "voice": "voice", "all": "suite"}


def cmd_bench(args: argparse.Namespace) -> int:
    import importlib

    sys.path.insert(0, str(paths.ROOT))
    module = importlib.import_module(f"bench.{BENCHMARKS[args.bench_name]}")
    return int(module.main())


def cmd_wechat(args: argparse.Namespace) -> int:
    from pathlib import Path

    from channels.wechat.cli import publish_menu

    return publish_menu(Path(args.file) if args.file else None)


def cmd_screenshots(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hotline import screenshots

    return screenshots.main(args.url, Path(args.out) if args.out else screenshots.OUT)


def cmd_staff(args: argparse.Namespace) -> int:
    import getpass
    import os
    from pathlib import Path

    from channels.staff import ROLES, add_account

    path = Path(args.file or os.environ.get("STAFF_ACCOUNTS_FILE") or paths.STATE / "staff.json")
    roles = sorted({*args.role, "agent"})
    if set(roles) - set(ROLES):
        print(f"✗ 角色只能是 {', '.join(ROLES)}", file=sys.stderr)
        return 2
    password = os.environ.get("STAFF_PASSWORD") or getpass.getpass(f"{args.username} 的密码：")
    if len(password) < 10:
        print("✗ 密码至少10位。", file=sys.stderr)
        return 2
    add_account(path, args.username, password, roles, args.name or args.username,
                args.skill or ["general"], args.region or [])
    print(f"已保存账号 {args.username}（{'、'.join(roles)}）到 {path}；"
          f"网关以 STAFF_ACCOUNTS_FILE={path} 读取。")
    return 0


def cmd_analytics(args: argparse.Namespace) -> int:
    from channels.analytics import report, store

    engine = report.engine_from_env()
    gone = store.purge(engine, report.retention_days())
    print(f"已删除超过保存期限（{report.retention_days()} 天）的统计事件 {gone} 条。")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from channels.analytics import report

    path = report.write_weekly(report.engine_from_env(), report.parse_week(args.week),
                               Path(args.out), args.region)
    print(f"周报已写入 {path}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="hotline", description="12333 智能客服运维命令")
    sub = root.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="训练（如有变化）并启动全部服务").set_defaults(func=cmd_run)
    train = sub.add_parser("train", help="编译知识库并训练模型（按指纹缓存）")
    train.add_argument("--force", action="store_true", help="即使指纹未变也重新训练")
    train.set_defaults(func=cmd_train)
    status = sub.add_parser("status", help="查看各组件健康状态")
    status.add_argument("--url", default="http://127.0.0.1:8000")
    status.set_defaults(func=cmd_status)
    kb = sub.add_parser("kb", help="知识库：lint 检查、stats 统计")
    kb.add_argument("kb_command", choices=["lint", "stats"])
    kb.set_defaults(func=cmd_kb)
    evaluation = sub.add_parser("eval", help="用 JSONL 测试集（q、topic）通过网关评测")
    evaluation.add_argument("file")
    evaluation.add_argument("--url", default="http://127.0.0.1:8000")
    evaluation.set_defaults(func=cmd_eval)
    bench = sub.add_parser("bench", help="性能测量（load、long、memory、baseline、nlu、all 等），"
                                         "结果写入 bench/results/ 和 BENCHMARKS.md")
    bench.add_argument("bench_name", choices=list(BENCHMARKS),
                       help="all：baseline，以及在同一套服务上的 memory、foundation、load、"
                            "long，汇总表附上次 nlu 的结果（2 核约 10–15 分钟）")
    bench.set_defaults(func=cmd_bench)
    shots = sub.add_parser("screenshots", help="聊天组件截图：电脑、手机、长辈模式（build/screenshots/）")
    shots.add_argument("--url", default="http://127.0.0.1:8000", help="已运行的网关；没有则临时启动一套")
    shots.add_argument("--out", default=None, help="输出目录，默认 build/screenshots")
    shots.set_defaults(func=cmd_screenshots)
    staff = sub.add_parser("staff", help="坐席账号：add 新增或修改（密码取自 STAFF_PASSWORD 或交互输入）")
    staff.add_argument("action", choices=["add"])
    staff.add_argument("username")
    staff.add_argument("--name", help="显示名，如 张三（工号1024）")
    staff.add_argument("--role", action="append", default=[], help="agent（默认）或 supervisor，可重复")
    staff.add_argument("--skill", action="append", help="技能组：general pension unemployment employment "
                       "labour card injury，可重复")
    staff.add_argument("--region", action="append", help="只接待这些地区，可重复；不填为全部")
    staff.add_argument("--file", help="账号文件（默认 STAFF_ACCOUNTS_FILE 或 .hotline/staff.json）")
    staff.set_defaults(func=cmd_staff)
    analytics = sub.add_parser("analytics", help="统计事件：purge 按保存期限删除旧事件")
    analytics.add_argument("analytics_command", choices=["purge"])
    analytics.set_defaults(func=cmd_analytics)
    report_cmd = sub.add_parser("report", help="热点问题周报（Markdown + SVG 图表）")
    report_cmd.add_argument("--week", default=None, help="如 2026-W47 或该周任一日期；默认上一整周")
    report_cmd.add_argument("--region", default=None, help="只统计某地区，如 广东省")
    report_cmd.add_argument("--out", default=str(paths.BUILD / "reports"),
                            help="输出目录，默认 build/reports")
    report_cmd.set_defaults(func=cmd_report)
    wechat = sub.add_parser("wechat", help="微信公众号：menu 发布自定义菜单")
    wechat.add_argument("wechat_command", choices=["menu"])
    wechat.add_argument("--file", default=None, help="菜单文件，默认 channels/wechat/menu.yml")
    wechat.set_defaults(func=cmd_wechat)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
