#!/usr/bin/env bash
# Installs, idempotently, every system and Python package the build, tests and demo need.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages from Debian: compilers, LLVM 19 for the JIT, GoogleTest, libffi.
# Extra packages can be requested by the caller (the fuzz target adds clang's runtime).
packages=(g++ make pkg-config python3-venv llvm-19-dev libgtest-dev libffi-dev zlib1g-dev libzstd-dev ${NATIVECALL_EXTRA_APT:-})
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Python packages in a project-local virtual environment, reinstalled only
# when requirements-dev.txt changes.
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
