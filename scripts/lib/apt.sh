# shellcheck shell=bash
# Sourced by the test steps, service scripts and build-machine tools: the one way they install Debian
# packages.
#   need_apt <command> <package...>   installs the packages when <command> is missing
#   apt_install <package...>          installs the packages (a no-op for those already installed)
# One apt at a time across parallel steps (flock), and a first `apt-get update` only when the package
# lists of a fresh machine do not know the package yet. Progress goes to stderr: stdout stays the
# caller's (some scripts print a result there).
apt_install() {
  echo "installing $*" >&2
  flock /tmp/apt.lock sh -c "export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends $* >/dev/null 2>&1 ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends $* >/dev/null; }" >&2
}

need_apt() {
  local bin=$1
  shift
  command -v "$bin" >/dev/null 2>&1 && return 0
  apt_install "$@"
}
