"""A process-wide guard that refuses, and records, every attempt to reach the network.

Installed first thing by :mod:`speech.paddle_worker`: PaddleSpeech fetches models by tag,
sends a usage-statistics request from its executors' ``__call__`` and may ``pip install``
a missing package from inside the process (../shared/SPEECH.md). Our code avoids all three
paths; the guard proves it. Every TCP/UDP connect to a non-loopback address, every name
lookup of a remote host and every subprocess that runs pip is refused with ``OSError`` and
kept in :data:`attempts`, which the worker reports to its parent. Standard library only.
"""

from __future__ import annotations

import ipaddress
import socket
import subprocess
from typing import Any

attempts: list[str] = []
_installed = False
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "", None}


def _is_loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(what: str) -> OSError:
    attempts.append(what)
    return OSError(f"network access refused in this process: {what}")


def install() -> None:
    """Patch :mod:`socket` and :mod:`subprocess`; idempotent."""
    global _installed
    if _installed:
        return
    _installed = True
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo
    real_popen_init = subprocess.Popen.__init__

    def remote(sock: socket.socket, address: Any) -> str | None:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return None  # Unix sockets and the like stay local
        host, port = (address[0], address[1]) if isinstance(address, tuple) else (address, "")
        return None if _is_loopback(host) else f"connect {host}:{port}"

    def connect(sock: socket.socket, address: Any) -> None:
        refused = remote(sock, address)
        if refused:
            raise _refuse(refused)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        refused = remote(sock, address)
        if refused:
            raise _refuse(refused)
        return real_connect_ex(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host):
            raise _refuse(f"resolve {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    def popen_init(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        words = [args] if isinstance(args, (str, bytes)) else list(args)
        line = " ".join(str(w) for w in words)
        if "pip" in line.split() or " -m pip" in line or "pip install" in line:
            raise _refuse(f"run {line[:80]}")
        real_popen_init(self, args, *rest, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = getaddrinfo
    subprocess.Popen.__init__ = popen_init  # type: ignore[method-assign]
