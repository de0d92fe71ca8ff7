#!/usr/bin/env bash
# Debian packages the system and its tests need, installed when missing. As root it runs
# apt-get; otherwise it prints the command to run and carries on (the Python parts still
# work; the browser tests and screenshots need chromium and a CJK font).
set -euo pipefail

PACKAGES=(
  tzdata               # Asia/Shanghai for agent hours
  chromium             # browser tests and screenshots of the web chat widget
  fonts-wqy-microhei   # without a CJK font every page and screenshot shows boxes
  postgresql           # the business system's tests also run against a real PostgreSQL server
  espeak-ng            # the deterministic speech synthesizer of the phone line
  sip-tester           # SIPp: the integration tests place real SIP calls with it
  ffmpeg               # decoding callers' and WeChat audio formats
  sox                  # encoding AMR-NB voice messages in the WeChat voice tests (ffmpeg cannot)
)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "提示：缺少 ${missing[*]}（非 Debian 系统，请用本机的包管理器安装）。" >&2
  exit 0
fi
if [[ $(id -u) != 0 ]]; then
  echo "提示：缺少 Debian 软件包 ${missing[*]}，请运行：sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 0
fi
echo "  … 安装 Debian 软件包：${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
