# shellcheck shell=bash
# Sourced by the test steps and service scripts. need_apt <command> <package...> installs the Debian
# packages when <command> is missing: one apt at a time across parallel steps (flock), and a first
# `apt-get update` only when the package lists of a fresh machine do not know the package yet.
need_apt() {
  local bin=$1
  shift
  command -v "$bin" >/dev/null 2>&1 && return 0
  echo "installing $*" >&2
  flock /tmp/apt.lock sh -c "export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends $* >/dev/null 2>&1 ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends $* >/dev/null; }"
}
