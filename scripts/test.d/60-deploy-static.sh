#!/usr/bin/env bash
# Static checks of the cluster deployment (deploy/nomad, deploy/ansible, deploy/ingress):
#   1. the Nomad jobs parse (HashiCorp's HCL parser, from the npm package @cdktf/hcl2json) and carry
#      the resilience settings in every group (tests/deploy/nomad-jobs.test.mjs);
#   1b. both deploy paths (the CI/CD script and playbooks/deploy.yml, against a stand-in Nomad CLI) submit
#      the same placeholder-free jobs from the one deploy inputs file, rendered by `nomad job run -output`
#      when nomad is on PATH, else by the HCL parser (tests/deploy/deploy-paths.test.mjs); `nomad fmt -check`
#      (or the same formatter, hclwrite, through Go) on the job files;
#   2. the ingress template renders to a config `haproxy -c` accepts, which routes as specified,
#      health-checks and reloads without failing a request (tests/deploy/ingress-routing.test.mjs);
#   3. every playbook passes `ansible-playbook --syntax-check`, and ansible-lint's production profile,
#      on Debian 12's ansible-core and on the current one from PyPI;
#   4. keepalived's chk_ingress script fails when the ingress is down or being stopped by Nomad
#      (tests/deploy/keepalived-chk.test.mjs); the keepalived configuration rendered from the role
#      passes `keepalived -t` (in a network namespace with a vxlan100 interface, as the VMs have),
#      for VRRPv3 and for VRRPv2 with authentication.
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
node --test tests/deploy/nomad-jobs.test.mjs tests/deploy/deploy-paths.test.mjs tests/deploy/ingress-routing.test.mjs tests/deploy/keepalived-chk.test.mjs \
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

echo "--- ansible syntax check and lint on the current ansible-core (PyPI, in a cached venv)"
# Debian 12's 2.14 above; the operators' laptops often run the newest one, where settings such as
# a removed stdout callback break every playbook. ansible.posix comes from Debian's collections.
VENV=${IMGR_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/imgr-test-tools}/ansible-current
if [ ! -x "$VENV/bin/ansible-lint" ]; then
  python3 -m venv "$VENV"
  timeout 300 "$VENV/bin/pip" install -q ansible-core ansible-lint >/dev/null
fi
(
  cd deploy/ansible
  export ANSIBLE_COLLECTIONS_PATH=/usr/lib/python3/dist-packages PATH="$VENV/bin:$PATH"
  ansible-playbook --version | sed -n 1p
  for playbook in site.yml playbooks/*.yml; do
    ansible-playbook -i inventory.example.yml --syntax-check "$playbook" >/dev/null
  done
  echo "syntax ok on the current ansible-core"
  ansible-lint --nocolor
) 2>&1 | tee "$OUT/deploy-static-ansible-current.txt"
[ "${PIPESTATUS[0]}" = 0 ]

echo "--- keepalived -t on the rendered configuration"
ns=imgr-katest-$$
work=$(mktemp -d /run/imgr-katest.XXXXXX)
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link add vxlan100 type veth peer name vxpeer
ip -n "$ns" addr add 172.16.1.11/16 dev vxlan100
ip -n "$ns" link set vxpeer up
ip -n "$ns" link set vxlan100 up
for version in 3 2; do
  dir="$work/v$version"
  extra="render_out_dir=$dir keepalived_script_dir=$dir keepalived_notify_log=$dir/transitions.log"
  extra="$extra keepalived_unicast_src_ip=172.16.1.11 keepalived_floating_ip=172.16.3.10/16 keepalived_vrrp_version=$version"
  [ "$version" = 2 ] && extra="$extra keepalived_advert_int=1"
  ANSIBLE_STDOUT_CALLBACK=default ansible-playbook -i vm1, -c local tests/deploy/render-configs.yml \
    -e "$extra" -e '{"keepalived_unicast_peers": ["172.16.1.12"]}' >"$OUT/deploy-render-v$version.log" 2>&1 \
    || { cat "$OUT/deploy-render-v$version.log"; exit 1; }
  ip netns exec "$ns" keepalived -t -f "$dir/keepalived.conf"
  grep -q "version $version" "$dir/keepalived.conf"
  if [ "$version" = 2 ]; then grep -q 'auth_type PASS' "$dir/keepalived.conf"; else ! grep -q authentication "$dir/keepalived.conf"; fi
  echo "keepalived -t ok: VRRPv$version"
done
# The notify script logs a transition line.
"$work/v3/notify.sh" INSTANCE imgr_ingress MASTER 150
grep -q 'instance=imgr_ingress state=MASTER priority=150' "$work/v3/transitions.log"
echo "deploy static checks passed"
