#!/usr/bin/env bash
# Two-VM lab: the deployment run for real, as an operator runs it (docs: deploy/README.md).
#   provider  Consul and Nomad servers (no clients), the SSH bastion; RabbitMQ and Ceph S3
#             are the project's shared test servers (scripts/services/*.sh) reached through a TCP relay
#   vm1, vm2  systemd as PID 1, openssh, a real VXLAN vxlan100 (172.16.1.x/16, no default route on it),
#             consul and nomad installed from the binaries on PATH, unconfigured; no Docker
# all on a private Docker bridge. Then site.yml (twice), nomad-variables.yml and deploy.yml over SSH through
# the bastion, from a copy of deploy/ansible with only inventory.yml, group_vars and vault.yml filled in.
# Then the failure scenarios under a bounded client load through the floating IP (scenarios.sh), whose
# figures go to one JSON results file.
#
# usage: tests/lab/lab.sh up|provision|scenarios [NAME...]|site [ARGS...]|down|all
# env:   LAB_DIR (/tmp/imgr-lab), LAB_DEPLOY (deploy/ of this checkout: the deploy files under test),
#        LAB_KEEP=1 (all: leave the lab running at the end), LAB_RESULTS (results file,
#        $LAB_DIR/results/lab.json), LAB_LOAD_RATE (requests per second of the client load, 8),
#        LAB_TLS=1 (the provider's Consul and Nomad servers offer TLS, with a CA and certificates the lab
#        makes with `consul tls` and `nomad tls`; the operator's vault gets the PEM texts)
# Never builds or downloads nomad/consul: without them on PATH it prints a skip line and exits 0.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
LAB=${LAB_DIR:-/tmp/imgr-lab}
DEPLOY=${LAB_DEPLOY:-$REPO/deploy}
NET=imgr-lab
SUBNET=10.213.8.0/24
GATEWAY=10.213.8.1
VM_IMAGE=imgr-lab-vm:bookworm
# The images are built from this checkout and tagged with its commit, as the pipeline tags them
# (uncommitted changes to what the images are built from give a -dirty suffix and a rebuild every time).
IMAGE_SOURCES=(package.json package-lock.json tsconfig.base.json tsconfig.json core api worker cli web deploy/docker)
TAG=$(git -C "$REPO" rev-parse --short=12 HEAD)
[ -z "$(git -C "$REPO" status --porcelain -- "${IMAGE_SOURCES[@]}")" ] || TAG="$TAG-dirty"
# name -> bridge address, vxlan100 address
declare -A MGMT=([provider]=10.213.8.2 [vm1]=10.213.8.11 [vm2]=10.213.8.12 [vm3]=10.213.8.13)
declare -A VXL=([provider]=172.16.0.2/16 [vm1]=172.16.1.10/16 [vm2]=172.16.1.11/16 [vm3]=172.16.1.12/16)
FLOATING_IP=172.16.3.10
HOSTS=${LAB_HOSTS:-"provider vm1 vm2"}
# Relayed provider services (host side): RabbitMQ and the Ceph RGW listen on the host's loopback.
AMQP_PORT=5672
S3_PORT=7480
RELAY_AMQP=35672
RELAY_S3=37480
RUNOPTS=(--cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined --security-opt apparmor=unconfined
  --security-opt systempaths=unconfined --device-cgroup-rule 'a *:* rwm' --cgroupns=private
  --tmpfs /run --tmpfs /run/lock -v /var/lib/docker --cpu-shares 4096
  --add-host team.internal.lab.test:172.16.0.2 --label imgr-lab=1)

# LAB_ANSIBLE: the bin folder of another ansible-core (e.g. a venv of the current one from PyPI); it
# gets Debian's ansible.posix, the one collection deploy/ansible/requirements.yml names.
ANSIBLE_BIN=${LAB_ANSIBLE:+$LAB_ANSIBLE/}
if [ -n "${LAB_ANSIBLE:-}" ]; then
  mkdir -p "$LAB/collections/ansible_collections/ansible"
  ln -sfn /usr/lib/python3/dist-packages/ansible_collections/ansible/posix "$LAB/collections/ansible_collections/ansible/posix"
  export ANSIBLE_COLLECTIONS_PATH=$LAB/collections
fi

log() { echo "lab: $*" >&2; }
die() { log "FAIL: $*"; exit 1; }
on() { local h=$1; shift; docker exec "imgr-lab-$h" "$@"; }
# Same with stdin passed in (files written on a host).
on_stdin() { local h=$1; shift; docker exec -i "imgr-lab-$h" "$@"; }

TLS=${LAB_TLS:-0}
# The provider's Nomad API, from the provider host itself (HTTPS with the lab's CA in TLS mode).
if [ "$TLS" = 1 ]; then
  PROVIDER_NOMAD_ENV=(NOMAD_ADDR=https://127.0.0.1:4646 NOMAD_CACERT=/etc/nomad.d/tls/ca.pem)
else
  PROVIDER_NOMAD_ENV=(NOMAD_ADDR=http://127.0.0.1:4646)
fi

PROVIDER_NOMAD=(env "${PROVIDER_NOMAD_ENV[@]}" nomad)

have_binaries() { command -v nomad >/dev/null 2>&1 && command -v consul >/dev/null 2>&1; }

# ---------------------------------------------------------------- images
build_images() {
  mkdir -p "$LAB/ctx"
  if ! docker image inspect imgr-lab-rootfs:bookworm >/dev/null 2>&1; then
    command -v mmdebstrap >/dev/null || flock /tmp/apt.lock apt-get install -y -qq mmdebstrap >/dev/null
    log "making the VM root filesystem (mmdebstrap bookworm)"
    mmdebstrap --quiet --variant=minbase \
      --include=systemd,systemd-sysv,dbus,openssh-server,openssh-client,python3,python3-apt,sudo,curl,jq,iproute2,ca-certificates,iptables,procps,less \
      bookworm "$LAB/rootfs.tar" http://deb.debian.org/debian
    docker import "$LAB/rootfs.tar" imgr-lab-rootfs:bookworm >/dev/null
    rm -f "$LAB/rootfs.tar"
  fi
  [ -f "$LAB/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C imgr-lab -f "$LAB/id_ed25519"
  cp "$HERE"/vm/* "$LAB/ctx/"
  cp "$LAB/id_ed25519.pub" "$LAB/ctx/"
  # The provider's pre-installed binaries: whatever is on PATH, copied, never fetched.
  cp "$(command -v nomad)" "$(command -v consul)" "$LAB/ctx/"
  log "building $VM_IMAGE ($(nomad version | head -1), $(consul version | head -1))"
  docker build -q -t "$VM_IMAGE" "$LAB/ctx" >/dev/null
  # Application images as the pipeline builds them, under the tag the deploy names.
  if ! docker image inspect "ghcr.io/imgr/imgr:$TAG" >/dev/null 2>&1 || [ "${TAG%-dirty}" != "$TAG" ]; then
    log "building the application images of $TAG"
    "$REPO/scripts/docker/make-base-images.sh"
    # Built straight under the deploy's names: imgr:test belongs to the other test steps.
    SKIP_BUILDKIT=1 SKIP_CACHE_CHECK=1 IMGR_TEST_OUT="$LAB/out" IMGR_IMAGE="ghcr.io/imgr/imgr:$TAG" \
      IMGR_WEB_IMAGE="ghcr.io/imgr/imgr-web:$TAG" bash "$REPO/tests/docker/build-images.sh" >&2
  fi
  # The ingress job names haproxy:2.8.10-alpine; no registry here, so a stand-in under that tag.
  if ! docker image inspect haproxy:2.8.10-alpine >/dev/null 2>&1; then
    log "making a haproxy:2.8.10-alpine stand-in (Debian's haproxy)"
    mkdir -p "$LAB/haproxy"
    printf 'FROM imgr-lab-rootfs:bookworm\nRUN apt-get update -qq && apt-get install -y -qq --no-install-recommends haproxy && rm -rf /var/lib/apt/lists/*\nCMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]\n' \
      > "$LAB/haproxy/Dockerfile"
    docker build -q -t haproxy:2.8.10-alpine "$LAB/haproxy" >/dev/null
  fi
}

# ---------------------------------------------------------------- hosts
# Real-time budget for a host's cgroup (cgroup v1 with RT group scheduling): without one the kernel
# refuses SCHED_RR inside the container and keepalived's vrrp_rt_priority ("cannot raise priority")
# cannot keep its adverts on time when the machine is saturated, which a real VM allows. Docker's parent
# cgroup gets a share of the root's budget, each VM LAB_RT_US (default 50 ms per 1 s period); 0 skips.
rt_budget() {
  local n=$1 per=${LAB_RT_US:-50000} root=/sys/fs/cgroup/cpu id want
  [ "$per" -gt 0 ] && [ -f "$root/cpu.rt_runtime_us" ] || return 0
  id=$(docker inspect -f '{{.Id}}' "imgr-lab-$n")
  [ -d "$root/docker/$id" ] || { log "$n: no cgroup v1 cpu directory for the container: no real-time budget"; return 0; }
  want=$((per * 4))
  [ "$(cat "$root/docker/cpu.rt_runtime_us")" -ge "$want" ] || echo "$want" > "$root/docker/cpu.rt_runtime_us" ||
    { log "$n: the docker cgroup took no real-time budget"; return 0; }
  echo "$per" > "$root/docker/$id/cpu.rt_runtime_us" || { log "$n: its cgroup took no real-time budget"; return 0; }
  log "$n: real-time budget ${per} us per $(cat "$root/docker/$id/cpu.rt_period_us") us"
}

# Each VM's keepalived.service gives itself a share of that budget at every start (vm/lab-rt-budget, a
# drop-in of the VM image): what the VRRP process runs with is logged after site.yml.
log_keepalived_policy() {
  local n
  [ "${LAB_RT_US:-50000}" -gt 0 ] && [ -f /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] || return 0
  for n in $(vms); do
    # shellcheck disable=SC2016 # expanded in the VM
    log "$n: keepalived VRRP process $(on "$n" sh -c 'chrt -p $(pidof keepalived | tr " " "\n" | sort -n | tail -1)' | sed -n 's/.*policy: //p')"
  done
}

start_host() { # start_host NAME
  local n=$1 peers="" o state=""
  for o in provider vm1 vm2 vm3; do [ "$o" = "$n" ] || peers="$peers ${MGMT[$o]}"; done
  mkdir -p "$LAB/env/$n/lab"
  printf 'LOCAL=%s\nADDRESS=%s\nPEERS="%s"\n' "${MGMT[$n]}" "${VXL[$n]}" "$peers" > "$LAB/env/$n/lab/vxlan100.env"
  docker rm -f "imgr-lab-$n" >/dev/null 2>&1 || true
  docker create --name "imgr-lab-$n" --hostname "$n" --network $NET --ip "${MGMT[$n]}" "${RUNOPTS[@]}" "$VM_IMAGE" >/dev/null
  docker cp "$LAB/env/$n/lab" "imgr-lab-$n:/etc/"
  docker start "imgr-lab-$n" >/dev/null
  rt_budget "$n"
  for _ in $(seq 1 90); do
    state=$(on "$n" systemctl is-system-running 2>/dev/null || true)
    case "$state" in running|degraded) break ;; esac
    sleep 1
  done
  log "$n: $state; $(on "$n" ip -br -4 addr show vxlan100 | tr -s ' '); default route $(on "$n" ip route show default | cut -d' ' -f3-5)"
}

# The provider's certificates, as a provider with TLS has them: one CA per tool, the servers' certificates
# (server.dc1.consul, server.global.nomad) and one client certificate of each for the team's VMs
# (client.dc1.consul / client.global.nomad, with localhost and 127.0.0.1 for the agents' HTTPS APIs).
make_tls() {
  local d=$LAB/tls
  [ -f "$d/done" ] && return 0
  rm -rf "$d"; mkdir -p "$d/consul" "$d/nomad"
  (cd "$d/consul" && consul tls ca create -days 30 >/dev/null && consul tls cert create -server -dc dc1 -days 30 >/dev/null \
    && consul tls cert create -client -dc dc1 -days 30 >/dev/null)
  (cd "$d/nomad" && nomad tls ca create -days 30 >/dev/null && nomad tls cert create -server -region global -days 30 >/dev/null \
    && nomad tls cert create -client -region global -days 30 >/dev/null)
  touch "$d/done"
  log "TLS: CAs and certificates made in $d"
}

# TLS files of the provider's servers copied in; prints nothing.
install_provider_tls() {
  local d=$LAB/tls
  on provider mkdir -p /etc/consul.d/tls /etc/nomad.d/tls
  on_stdin provider sh -c 'cat > /etc/consul.d/tls/ca.pem' < "$d/consul/consul-agent-ca.pem"
  on_stdin provider sh -c 'cat > /etc/consul.d/tls/server.pem' < "$d/consul/dc1-server-consul-0.pem"
  on_stdin provider sh -c 'cat > /etc/consul.d/tls/server-key.pem' < "$d/consul/dc1-server-consul-0-key.pem"
  on_stdin provider sh -c 'cat > /etc/nomad.d/tls/ca.pem' < "$d/nomad/nomad-agent-ca.pem"
  on_stdin provider sh -c 'cat > /etc/nomad.d/tls/server.pem' < "$d/nomad/global-server-nomad.pem"
  on_stdin provider sh -c 'cat > /etc/nomad.d/tls/server-key.pem' < "$d/nomad/global-server-nomad-key.pem"
  on provider sh -c 'chown -R consul:consul /etc/consul.d/tls 2>/dev/null; chmod 0640 /etc/consul.d/tls/*-key.pem /etc/nomad.d/tls/*-key.pem'
}

configure_provider() {
  local key consul_tls="" nomad_tls=""
  [ -f "$LAB/gossip.key" ] || consul keygen > "$LAB/gossip.key"
  key=$(cat "$LAB/gossip.key")
  if [ "$TLS" = 1 ]; then
    make_tls
    install_provider_tls
    # Servers that verify incoming RPC (the VMs must show a client certificate of the CA) and prove
    # their own name; HTTPS beside the provider's plain port (which the lab's own queries use).
    consul_tls='
tls {
  defaults {
    ca_file         = "/etc/consul.d/tls/ca.pem"
    cert_file       = "/etc/consul.d/tls/server.pem"
    key_file        = "/etc/consul.d/tls/server-key.pem"
    verify_outgoing = true
  }
  internal_rpc {
    verify_incoming        = true
    verify_server_hostname = true
  }
}
ports { https = 8501 }'
    nomad_tls='
tls {
  http                   = true
  rpc                    = true
  ca_file                = "/etc/nomad.d/tls/ca.pem"
  cert_file              = "/etc/nomad.d/tls/server.pem"
  key_file               = "/etc/nomad.d/tls/server-key.pem"
  verify_server_hostname = true
  verify_https_client    = false
}'
  fi
  # The provider's team servers: one Consul and one Nomad server, no clients, reached on vxlan100.
  on_stdin provider sh -c "cat > /etc/consul.d/consul.hcl" <<EOF
datacenter       = "dc1"
data_dir         = "/opt/consul"
server           = true
bootstrap_expect = 1
bind_addr        = "${VXL[provider]%/*}"
client_addr      = "0.0.0.0"
encrypt          = "$key"
ui_config { enabled = true }
$consul_tls
EOF
  on_stdin provider sh -c "cat > /etc/nomad.d/nomad.hcl" <<EOF
datacenter = "dc1"
data_dir   = "/opt/nomad"
bind_addr  = "0.0.0.0"
advertise {
  http = "${VXL[provider]%/*}"
  rpc  = "${VXL[provider]%/*}"
  serf = "${VXL[provider]%/*}"
}
server {
  enabled          = true
  bootstrap_expect = 1
}
consul { address = "127.0.0.1:8500" }
$nomad_tls
EOF
  on provider systemctl enable --now consul.service nomad.service >/dev/null 2>&1
  for _ in $(seq 60); do
    on provider "${PROVIDER_NOMAD[@]}" server members 2>/dev/null | grep -q alive && break
    sleep 1
  done
  on provider "${PROVIDER_NOMAD[@]}" server members | tail -1 | tr -s ' ' >&2
}

relay_services() {
  # RabbitMQ and Ceph S3 are the project's shared servers on the host's loopback; a TCP relay on the lab
  # bridge's gateway plays the provider's endpoints. Own vhost, user and bucket: nothing shared is touched.
  "$REPO/scripts/services/rabbitmq.sh" up >&2
  "$REPO/scripts/services/ceph-s3.sh" up >&2
  rabbitmqctl add_vhost imgr-lab >/dev/null 2>&1 || true
  rabbitmqctl add_user imgr-lab imgr-lab-secret >/dev/null 2>&1 || true
  rabbitmqctl set_permissions -p imgr-lab imgr-lab '.*' '.*' '.*' >/dev/null
  rm -f "$LAB/broker-credentials"
  if ! [ -f "$LAB/relay.pid" ] || ! kill -0 "$(cat "$LAB/relay.pid")" 2>/dev/null; then
    cat > "$LAB/relay.cfg" <<EOF
global
  maxconn 2000
defaults
  mode tcp
  timeout connect 5s
  timeout client 1h
  timeout server 1h
listen amqp
  bind $GATEWAY:$RELAY_AMQP
  server rabbitmq 127.0.0.1:$AMQP_PORT
listen s3
  bind $GATEWAY:$RELAY_S3
  server rgw 127.0.0.1:$S3_PORT
EOF
    haproxy -D -p "$LAB/relay.pid" -f "$LAB/relay.cfg"
  fi
}

write_operator_files() {
  # What an operator writes by hand (deploy/README.md "First installation"), in a copy of deploy/ansible.
  rm -rf "$LAB/ansible"
  cp -r "$DEPLOY/ansible" "$LAB/ansible"
  rm -rf "$LAB/nomad"
  cp -r "$DEPLOY/nomad" "$LAB/nomad"
  cat > "$LAB/ssh_config" <<EOF
Host bastion
  HostName ${MGMT[provider]}
  User ubuntu
Host *
  IdentityFile $LAB/id_ed25519
  UserKnownHostsFile $LAB/known_hosts
  StrictHostKeyChecking yes
EOF
  local vms="" n
  for n in $HOSTS; do [ "$n" = provider ] || vms="$vms $n"; done
  {
    echo "all:"
    echo "  children:"
    echo "    imgr_nodes:"
    echo "      hosts:"
    local prio=150
    for n in $vms; do
      echo "        $n:"
      echo "          ansible_host: ${MGMT[$n]}"
      echo "          keepalived_priority: $prio"
      prio=$((prio - 50))
    done
    echo "      vars:"
    echo "        ansible_user: ubuntu"
    echo "        ansible_become: true"
    echo "        ansible_ssh_common_args: >-"
    echo "          -F $LAB/ssh_config -o ProxyJump=bastion"
    echo "          -o ControlMaster=auto -o ControlPersist=60s"
  } > "$LAB/ansible/inventory.yml"
  sed -i -e 's/team\.internal\.example\.org/team.internal.lab.test/' \
    -e "s#https://minio.example.org#http://$GATEWAY:$RELAY_S3#" \
    -e 's/^  s3_bucket_name: images/  s3_bucket_name: imgr-lab/' \
    -e "s#^imgr_floating_ip: .*#imgr_floating_ip: $FLOATING_IP/16#" "$LAB/ansible/group_vars/all/main.yml"
  # The deploy inputs, as deploy/README.md says: the example copied and filled in.
  sed -e 's#^datacenters = .*#datacenters = ["dc1"]#' \
    -e "s#^public_url = .*#public_url = \"http://$FLOATING_IP:8081\"#" \
    -e 's#^image_registry = .*#image_registry = "ghcr.io/imgr"#' \
    -e "s#^s3_endpoint_url = .*#s3_endpoint_url = \"http://$GATEWAY:$RELAY_S3\"#" \
    -e 's#^s3_bucket_name  = .*#s3_bucket_name  = "imgr-lab"#' \
    "$LAB/nomad/deploy.vars.example.hcl" > "$LAB/nomad/deploy.vars.hcl"
  grep -q '"CHANGE-ME"' "$LAB/nomad/deploy.vars.hcl" && die "deploy inputs left unfilled: $LAB/nomad/deploy.vars.hcl"
  sed -e "s#REPLACE-WITH-consul-keygen-OUTPUT#$(cat "$LAB/gossip.key")#" \
    -e 's#REPLACE8#labpass1#' \
    -e "s#amqp://team:REPLACE@rabbitmq.example.org:5672/team#amqp://$(broker_credentials)@$GATEWAY:$RELAY_AMQP/imgr-lab#" \
    -e 's#vault_imgr_aws_access_key_id: "REPLACE"#vault_imgr_aws_access_key_id: "test"#' \
    -e 's#vault_imgr_aws_secret_access_key: "REPLACE"#vault_imgr_aws_secret_access_key: "testsecret"#' \
    "$LAB/ansible/group_vars/all/vault.yml.example" > "$LAB/ansible/group_vars/all/vault.yml"
  if [ "$TLS" = 1 ]; then
    # The provider's CA and the client certificates it issued for the team, as PEM texts in the vault.
    sed -i -E '/^vault_(consul|nomad)_tls_/d' "$LAB/ansible/group_vars/all/vault.yml"
    local var file
    for pair in consul_tls_ca_pem:consul/consul-agent-ca.pem consul_tls_cert_pem:consul/dc1-client-consul-0.pem \
      consul_tls_key_pem:consul/dc1-client-consul-0-key.pem nomad_tls_ca_pem:nomad/nomad-agent-ca.pem \
      nomad_tls_cert_pem:nomad/global-client-nomad.pem nomad_tls_key_pem:nomad/global-client-nomad-key.pem; do
      var=${pair%%:*} file=${pair#*:}
      { echo "vault_$var: |"; sed 's/^/  /' "$LAB/tls/$file"; } >> "$LAB/ansible/group_vars/all/vault.yml"
    done
  fi
  echo "imgr-lab-vault" > "$LAB/vault-pass"
  "${ANSIBLE_BIN}ansible-vault" encrypt --vault-password-file "$LAB/vault-pass" "$LAB/ansible/group_vars/all/vault.yml" >/dev/null
  # Host keys pinned, as the operator does once: the bastion's, then each VM's as seen through it.
  : > "$LAB/known_hosts"
  for _ in $(seq 20); do ssh-keyscan -t ed25519 "${MGMT[provider]}" 2>/dev/null > "$LAB/kh" && [ -s "$LAB/kh" ] && break; sleep 1; done
  cat "$LAB/kh" >> "$LAB/known_hosts"
  for n in $vms; do
    ssh -F "$LAB/ssh_config" bastion ssh-keyscan -t ed25519 "${MGMT[$n]}" 2>/dev/null >> "$LAB/known_hosts"
  done
  # The bastion's name as the ssh_config calls it.
  sed -n "s/^${MGMT[provider]} /bastion /p" "$LAB/known_hosts" >> "$LAB/known_hosts"
}

# The broker user:password the vault holds (rotate_secrets gives the team a new one).
broker_credentials() { cat "$LAB/broker-credentials" 2>/dev/null || echo imgr-lab:imgr-lab-secret; }

# Run a playbook as the docs say, from deploy/ansible; keep the recap. playbook FILE [ARGS...]
playbook() {
  local pb=$1 name
  shift
  name=$(basename "$pb" .yml)
  log "ansible-playbook $pb $*"
  local rc=0
  (cd "$LAB/ansible" && ANSIBLE_FORCE_COLOR=0 "${ANSIBLE_BIN}ansible-playbook" "$pb" --vault-password-file "$LAB/vault-pass" "$@") \
    > "$LAB/out/$name.log" 2>&1 || rc=$?
  sed -n '/PLAY RECAP/,$p' "$LAB/out/$name.log" >&2
  return $rc
}

load_images() { # after Docker is on the VMs: what a registry pull would give
  local n
  for n in $HOSTS; do
    [ "$n" = provider ] && continue
    # docker exec -i: without it the VM's `docker load` reads an empty stdin and fails on a missing
    # `repositories` file (its fallback for archives without manifest.json).
    docker save "ghcr.io/imgr/imgr:$TAG" "ghcr.io/imgr/imgr-web:$TAG" haproxy:2.8.10-alpine | on_stdin "$n" docker load -q >&2
  done
}

# shellcheck source=tests/lab/scenarios.sh
. "$HERE/scenarios.sh"

up() {
  have_binaries || { echo "skipped: no nomad/consul binaries"; exit 0; }
  mkdir -p "$LAB/out"
  "$REPO/scripts/services/docker.sh" up
  build_images
  docker network inspect $NET >/dev/null 2>&1 ||
    docker network create --subnet $SUBNET --gateway $GATEWAY $NET >/dev/null
  relay_services
  local n
  for n in $HOSTS; do start_host "$n"; done
  configure_provider
}

provision() {
  local t0 changed
  write_operator_files
  : > "$LAB/out/figures.jsonl"
  t0=$(now)
  playbook site.yml || die "site.yml (first run) failed: see $LAB/out/site.log"
  figure provision site_first_run_s "$(seconds_since "$t0")" s "first site.yml on VMs without Docker (Docker installed, agents configured and joined)"
  cp "$LAB/out/site.log" "$LAB/out/site-1.log"
  t0=$(now)
  playbook site.yml || die "site.yml (second run) failed"
  figure provision site_second_run_s "$(seconds_since "$t0")" s "second site.yml run"
  changed=$(sed -n 's/^vm[0-9].*changed=\([0-9]*\).*/\1/p' "$LAB/out/site.log" | awk '{ s += $1 } END { print s + 0 }')
  figure provision site_second_run_changed "$changed" tasks "tasks the second site.yml run reported changed (all VMs)"
  [ "$changed" -eq 0 ] || die "second site.yml run changed something"
  log_keepalived_policy
  on provider "${PROVIDER_NOMAD[@]}" node status >&2
  on provider consul members >&2
  playbook playbooks/nomad-variables.yml || die "nomad-variables.yml failed"
  load_images
  # The scenarios build their versions from this tag, whatever the checkout's commit is by then.
  echo "$TAG" > "$LAB/image-tag"
  t0=$(now)
  playbook playbooks/deploy.yml -e "imgr_image_tag=$TAG" || die "deploy.yml failed"
  figure provision first_deploy_s "$(seconds_since "$t0")" s "first deploy.yml (imgr-ingress, imgr, imgr-sweep)"
  on provider "${PROVIDER_NOMAD[@]}" job status >&2
  wait_whole 180 || die "the service is not whole after the first deploy"
  write_results
}

down() {
  docker ps -aq --filter label=imgr-lab=1 | xargs -r docker rm -f >/dev/null
  docker network rm $NET >/dev/null 2>&1 || true
  if [ -f "$LAB/relay.pid" ]; then kill "$(cat "$LAB/relay.pid")" 2>/dev/null || true; rm -f "$LAB/relay.pid"; fi
  rabbitmqctl delete_vhost imgr-lab >/dev/null 2>&1 || true
  # The users rotate_secrets made.
  rabbitmqctl list_users -q 2>/dev/null | awk '$1 ~ /^imgr-lab(-r[0-9]+)?$/ { print $1 }' |
    while read -r user; do rabbitmqctl delete_user "$user" >/dev/null 2>&1 || true; done
}

case "${1:-all}" in
  up) up ;;
  provision) provision ;;
  scenarios) shift; run_scenarios "$@" ;;
  # The deploy files copied again and site.yml re-run on the running lab, e.g. after a role change or
  # with -e keepalived_vrrp_version=2 -e keepalived_advert_int=1.
  site) shift; write_operator_files; playbook site.yml "$@"; log_keepalived_policy ;;
  down) down ;;
  all)
    have_binaries || { echo "skipped: no nomad/consul binaries"; exit 0; }
    [ "${LAB_KEEP:-0}" = 1 ] || trap down EXIT
    up
    provision
    run_scenarios
    ;;
  *) echo "usage: $0 up|provision|scenarios [NAME...]|site [ARGS...]|down|all" >&2; exit 2 ;;
esac
