#!/usr/bin/env bash
# Runs the README's first command (`npm run quickstart`) the way a new user on a bare machine would:
# a fresh clone of this checkout's HEAD, and a PATH with node, npm and the system's tools but no pnpm.
# npm's global prefix points into a scratch directory, so the pnpm the quick start installs lands there
# (and this machine's own pnpm is left alone). Used by .ci/run; runnable by hand.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d /tmp/twamp-bare-XXXXXX)"
trap 'rm -rf "$scratch"' EXIT

# A PATH without pnpm: every executable of the current PATH (first one of each name wins), less pnpm and pnpx.
mkdir -p "$scratch/bin"
IFS=: read -r -a dirs <<< "$PATH"
for dir in "${dirs[@]}"; do
  [ -d "$dir" ] || continue
  for file in "$dir"/*; do
    name="${file##*/}"
    case "$name" in pnpm|pnpx) continue ;; esac
    [ -x "$file" ] && [ ! -e "$scratch/bin/$name" ] && ln -s "$file" "$scratch/bin/$name"
  done
done

git clone --quiet "$root" "$scratch/clone"
export PATH="$scratch/bin"
export npm_config_prefix="$scratch/npm-global"
if command -v pnpm >/dev/null 2>&1; then
  echo "check-bare-quickstart: pnpm is still on PATH ($(command -v pnpm)): the check would prove nothing" >&2
  exit 1
fi

cd "$scratch/clone"
npm run quickstart 2>&1 | tee "$scratch/quickstart.log"
# The demo's summary, and the pinned pnpm where npm's global prefix says.
grep -q "round trip" "$scratch/quickstart.log" || { echo "check-bare-quickstart: no demo summary in the output" >&2; exit 1; }
want="$(node -p "require('./package.json').packageManager.split('@')[1]")"
got="$("$npm_config_prefix/bin/pnpm" --version)"
[ "$got" = "$want" ] || { echo "check-bare-quickstart: pnpm $got installed, expected $want" >&2; exit 1; }
echo "check-bare-quickstart: ok (pnpm $got installed by the quick start, demo ran, no pnpm on PATH before)"
