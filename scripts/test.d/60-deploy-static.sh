#!/usr/bin/env bash
# Static checks of the cluster deployment (deploy/nomad, deploy/ansible, deploy/ingress):
#   0. the agent configurations rendered from the roles carry the TLS blocks when the TLS variables
#      are set and none when unset (tests/deploy/agent-tls.test.mjs);
#   1. the Nomad jobs parse (HashiCorp's HCL parser, from the npm package @cdktf/hcl2json) and carry
#      the resilience settings in every group (tests/deploy/nomad-jobs.test.mjs);
#   1b. both deploy paths (the CI/CD script and playbooks/deploy.yml, against a stand-in Nomad CLI) submit
#      the same placeholder-free jobs from the one deploy inputs file, rendered by `nomad job run -output`
#      when nomad is on PATH, else by the HCL parser (tests/deploy/deploy-paths.test.mjs); `nomad fmt -check`
#      (or the same formatter, hclwrite, through Go) on the job files;
#   2. the ingress template renders to a config `haproxy -c` accepts, which routes as specified,
#      health-checks and reloads without failing a request (tests/deploy/ingress-routing.test.mjs);
#   3. every playbook passes `ansible-playbook --syntax-check`, and ansible-lint's production profile;
#      the syntax check again on the current ansible-core from PyPI (venv cached), and a real run of
#      the render playbook with deploy/ansible/ansible.cfg on both versions;
#   4. keepalived's chk_ingress script fails when the ingress is down or being stopped by Nomad
#      (tests/deploy/keepalived-chk.test.mjs); the keepalived configuration rendered from the role
#      passes `keepalived -t` (in a network namespace with a vxlan100 interface, as the VMs have),
#      for VRRPv3 and for VRRPv2 with authentication; with consul and nomad on PATH, the rendered agent
#      configurations pass `consul validate` and `nomad config validate`, found as the roles find them.
# Nomad and Consul binaries are not needed (nor available to CI); a nomad on PATH is used when present.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${IMGR_TEST_OUT:-$PWD/test-results}
mkdir -p "$OUT"

source scripts/lib/apt.sh
need_apt haproxy haproxy
need_apt keepalived keepalived
need_apt ansible-playbook ansible
need_apt ansible-lint ansible-lint
need_apt jq jq

# HashiCorp's HCL parser compiled to WebAssembly; kept out of the project's dependencies (only
# this step uses it), pinned, cached between runs.
HCL_DIR=${IMGR_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/imgr-test-tools}/hcl2json-0.21.0
if [ ! -f "$HCL_DIR/node_modules/@cdktf/hcl2json/package.json" ]; then
  mkdir -p "$HCL_DIR"
  echo '{"private":true}' > "$HCL_DIR/package.json"
  (cd "$HCL_DIR" && timeout 300 npm install --no-save --no-audit --no-fund --loglevel=error @cdktf/hcl2json@0.21.0 >/dev/null)
fi
export IMGR_HCL2JSON_DIR=$HCL_DIR

echo "--- nomad jobs and ingress config"
node --test tests/deploy/nomad-jobs.test.mjs tests/deploy/runtime-settings.test.mjs tests/deploy/deploy-paths.test.mjs tests/deploy/ingress-routing.test.mjs tests/deploy/keepalived-chk.test.mjs tests/deploy/agent-tls.test.mjs \
  2>&1 | tee "$OUT/deploy-static-node.txt"
[ "${PIPESTATUS[0]}" = 0 ]

echo "--- nomad fmt -check"
bash tests/deploy/hcl-fmt-check.sh deploy/nomad/*.hcl 2>&1 | tee "$OUT/deploy-static-fmt.txt"
[ "${PIPESTATUS[0]}" = 0 ]

echo "--- ansible syntax check and lint"
(
  cd deploy/ansible
  for playbook in site.yml playbooks/*.yml; do
    ansible-playbook -i inventory.example.yml --syntax-check "$playbook" >/dev/null
    echo "syntax ok: $playbook"
  done
  ansible-lint --nocolor
) 2>&1 | tee "$OUT/deploy-static-ansible.txt"
[ "${PIPESTATUS[0]}" = 0 ]

echo "--- the playbooks on the current ansible-core"
# Operators run either Debian 12's ansible-core (2.14, above) or the current one from PyPI; settings
# that only one of them knows (ansible.cfg's callback) stop a run before its first task, which
# --syntax-check alone does not see: the render playbook is also run for real with ansible.cfg.
# The newest Python available picks the newest ansible-core (2.20+ needs Python 3.12). The venv is
# cached; delete it to move to a newer release.
# (A pyenv shim may be on PATH for versions it does not run: each candidate is tried, and pyenv's
# own installs too.)
py=python3
for candidate in python3.14 python3.13 python3.12 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
  if "$candidate" -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1; then py=$candidate; break; fi
done
TOOLS=${IMGR_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/imgr-test-tools}
AC_DIR=$TOOLS/ansible-core-current-py$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ ! -x "$AC_DIR/bin/ansible-playbook" ]; then
  rm -rf "$AC_DIR"
  "$py" -m venv "$AC_DIR"
  timeout 300 "$AC_DIR/bin/pip" install -q --disable-pip-version-check ansible-core
fi
# The one collection requirements.yml names (ansible.posix), from Debian's ansible package, and
# nothing else: a PyPI ansible-core has no community.general either.
scratch=$(mktemp -d /tmp/imgr-deploy-static.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
AC_COLLECTIONS=$scratch/collections
mkdir -p "$AC_COLLECTIONS/ansible_collections/ansible"
ln -s /usr/lib/python3/dist-packages/ansible_collections/ansible/posix "$AC_COLLECTIONS/ansible_collections/ansible/posix"
(
  export ANSIBLE_COLLECTIONS_PATH=$AC_COLLECTIONS
  "$AC_DIR/bin/ansible-playbook" --version | sed -n 1p
  cd deploy/ansible
  for playbook in site.yml playbooks/*.yml; do
    "$AC_DIR/bin/ansible-playbook" -i inventory.example.yml --syntax-check "$playbook" >/dev/null
    echo "syntax ok (current ansible-core): $playbook"
  done
) 2>&1 | tee "$OUT/deploy-static-ansible-current.txt"
[ "${PIPESTATUS[0]}" = 0 ]
render_with_cfg() { # <ansible-playbook> <python> <out dir>: a real run reading deploy/ansible/ansible.cfg
  ANSIBLE_CONFIG=deploy/ansible/ansible.cfg ANSIBLE_COLLECTIONS_PATH=$AC_COLLECTIONS \
    "$1" -i vm1, -c local tests/deploy/render-configs.yml -e "ansible_python_interpreter=$2" \
    -e "render_out_dir=$3 keepalived_unicast_src_ip=172.16.1.11 keepalived_floating_ip=172.16.3.10/16" \
    -e '{"keepalived_unicast_peers": ["172.16.1.12"]}'
}
for ac in system current; do
  if [ "$ac" = system ]; then bin=ansible-playbook pyi=/usr/bin/python3; else bin=$AC_DIR/bin/ansible-playbook pyi=$AC_DIR/bin/python; fi
  render_with_cfg "$bin" "$pyi" "$scratch/render-$ac" >"$OUT/deploy-render-cfg-$ac.log" 2>&1 \
    || { cat "$OUT/deploy-render-cfg-$ac.log"; exit 1; }
  echo "ansible.cfg loads and the templates render: $ac ansible-core"
done

echo "--- keepalived -t on the rendered configuration"
ns=imgr-katest-$$
work=$(mktemp -d /run/imgr-katest.XXXXXX)
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work" "$scratch"; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link add vxlan100 type veth peer name vxpeer
ip -n "$ns" addr add 172.16.1.11/16 dev vxlan100
ip -n "$ns" link set vxpeer up
ip -n "$ns" link set vxlan100 up
# consul and nomad validate the rendered agent configurations when they are on PATH (never in CI).
hashi=
if command -v consul >/dev/null && command -v nomad >/dev/null; then hashi=1; fi
for version in 3 2; do
  dir="$work/v$version"
  extra="render_out_dir=$dir keepalived_script_dir=$dir keepalived_notify_log=$dir/transitions.log"
  extra="$extra keepalived_unicast_src_ip=172.16.1.11 keepalived_floating_ip=172.16.3.10/16 keepalived_vrrp_version=$version"
  [ "$version" = 2 ] && extra="$extra keepalived_advert_int=1"
  [ "$version" = 3 ] && [ -n "$hashi" ] && extra="$extra render_find_binaries=true"
  ANSIBLE_STDOUT_CALLBACK=default ansible-playbook -i vm1, -c local tests/deploy/render-configs.yml \
    -e "$extra" -e '{"keepalived_unicast_peers": ["172.16.1.12"]}' >"$OUT/deploy-render-v$version.log" 2>&1 \
    || { cat "$OUT/deploy-render-v$version.log"; exit 1; }
  ip netns exec "$ns" keepalived -t -f "$dir/keepalived.conf"
  grep -q "version $version" "$dir/keepalived.conf"
  if [ "$version" = 2 ]; then grep -q 'auth_type PASS' "$dir/keepalived.conf"; else ! grep -q authentication "$dir/keepalived.conf"; fi
  echo "keepalived -t ok: VRRPv$version"
done
if [ -n "$hashi" ]; then
  # The binaries as the roles found them on PATH; consul resolves GetInterfaceIP "vxlan100".
  consul_bin=$(sed -n 's/^consul=//p' "$work/v3/binaries.env")
  nomad_bin=$(sed -n 's/^nomad=//p' "$work/v3/binaries.env")
  ip netns exec "$ns" "$consul_bin" validate -config-format=hcl "$work/v3/consul.hcl"
  "$nomad_bin" config validate "$work/v3/nomad.hcl" 2>&1 | grep -v "^WARNING: mTLS is not configured"
  echo "consul validate and nomad config validate ok ($consul_bin, $nomad_bin)"
else
  echo "skipped: no consul/nomad on PATH for consul validate and nomad config validate"
fi
# The notify script logs a transition line.
"$work/v3/notify.sh" INSTANCE imgr_ingress MASTER 150
grep -q 'instance=imgr_ingress state=MASTER priority=150' "$work/v3/transitions.log"
echo "deploy static checks passed"
