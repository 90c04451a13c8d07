# shellcheck shell=bash
# Failure scenarios of the two-VM lab, sourced by lab.sh (uses its on, playbook, LAB, TAG, ...).
# Each scenario runs under a bounded client load through the floating IP (load.py on the provider host:
# uploads and GETs), samples which VMs hold the floating IP, and records its figures with `figure`;
# write_results gathers them into one JSON file (lab.sh: $LAB_RESULTS).
#   failed / total requests, longest gap without a successful request, floating-IP holders (never 2),
#   accepted uploads lost (0), and the seconds a scenario takes to be whole again.

# PROVIDER_NOMAD (the nomad CLI on the provider host, against its server) comes from lab.sh.
LOAD_RATE=${LAB_LOAD_RATE:-8}
# The tag provision deployed (the checkout may have moved on since).
base_tag() { cat "$LAB/image-tag" 2>/dev/null || echo "$TAG"; }

nomadp() { on provider "${PROVIDER_NOMAD[@]}" "$@"; }
now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
vms() { local n; for n in $HOSTS; do [ "$n" = provider ] || echo "$n"; done; }

# The VMs holding the floating IP (on any interface: with use_vmac it is on vrrp.51).
holders() {
  local n
  for n in $(vms); do
    [ -n "$(on "$n" ip -o address show to "$FLOATING_IP" 2>/dev/null)" ] && echo "$n"
  done
  return 0
}

# LAB_SCENARIO_SUFFIX (e.g. _vrrp2) keeps the figures of a second configuration apart.
figure() { # figure SCENARIO NAME VALUE UNIT WHAT
  jq -cn --arg s "$1${LAB_SCENARIO_SUFFIX:-}" --arg n "$2" --argjson v "$3" --arg u "$4" --arg w "$5" \
    '{scenario: $s, name: $n, value: $v, unit: $u, what: $w}' >> "$LAB/out/figures.jsonl"
  log "figure $1.$2 = $3 $4"
}

# Watch the floating IP on VM: every address change, timestamped by the VM's kernel clock (the machine's).
watch_address() { # watch_address SCENARIO VM
  docker exec -d "imgr-lab-$2" sh -c "echo \$\$ > /root/addrmon.pid; exec ip -ts -o monitor address >> /root/addr-$1.log"
}

# Start the load and the floating-IP watch for scenario NAME.
load_start() {
  local name=$1 n
  docker cp "$HERE/load.py" imgr-lab-provider:/root/load.py
  on provider rm -f "/tmp/stop-$name" "/tmp/load-$name.json"
  WATCH_START=$(now)
  for n in $(vms); do
    on "$n" rm -f "/root/addr-$name.log"
    watch_address "$name" "$n"
  done
  sleep 0.5
  for n in $(vms); do
    if [ -n "$(on "$n" ip -o address show to "$FLOATING_IP")" ]; then HELD_AT_START[$n]=1; else HELD_AT_START[$n]=0; fi
  done
  docker exec -d imgr-lab-provider python3 /root/load.py "http://$FLOATING_IP:8081" "/tmp/stop-$name" \
    "/tmp/load-$name.json" "$LOAD_RATE"
  sleep 5 # some uploads stored before the event
}
declare -A HELD_AT_START=() GONE_AT=()

# Stop the load and the watch, wait for the upload check, record the figures of NAME.
load_stop() {
  local name=$1 json n specs=() holders_json
  on provider touch "/tmp/stop-$name"
  local end_t
  end_t=$(now)
  for n in $(vms); do
    # shellcheck disable=SC2016 # expanded in the VM
    on "$n" sh -c 'kill "$(cat /root/addrmon.pid)"' 2>/dev/null || true
    on "$n" cat "/root/addr-$name.log" > "$LAB/out/addr-$name-$n.log" 2>/dev/null || true
    specs+=("$n:${HELD_AT_START[$n]:-0}:$LAB/out/addr-$name-$n.log${GONE_AT[$n]:+:${GONE_AT[$n]}}")
  done
  GONE_AT=()
  # Each MASTER entry beyond the scenario's own moves is a spurious election (adverts missed).
  # A respawned VRRP process starts as a backup: a holder whose process died lost the address.
  local masters=0 respawns=0 count journal
  for n in $(vms); do
    journal=$(on "$n" journalctl -u keepalived -o short-unix --no-pager --since "@${WATCH_START%.*}" 2>/dev/null || true)
    count=$(grep -c 'Entering MASTER STATE' <<< "$journal" || true)
    masters=$((masters + ${count:-0}))
    count=$(grep -c 'VRRP child process.*died' <<< "$journal" || true)
    respawns=$((respawns + ${count:-0}))
  done
  holders_json=$(python3 "$HERE/holders.py" "$FLOATING_IP" "$WATCH_START" "$end_t" "${specs[@]}")
  for _ in $(seq 200); do on provider test -s "/tmp/load-$name.json" && break; sleep 1; done
  json=$(on provider cat "/tmp/load-$name.json") || die "$name: no load result"
  echo "$json" > "$LAB/out/load-$name.json"
  log "$name load: $(jq -c 'del(.failures, .uploads_lost_ids)' <<< "$json"); floating IP: $holders_json"
  jq -c '.failures[]' <<< "$json" | head -5 >&2 || true
  figure "$name" failed_requests "$(jq .failed <<< "$json")" requests "requests that failed (connection error, timeout, 5xx) during the scenario"
  figure "$name" total_requests "$(jq .total <<< "$json")" requests "requests sent through the floating IP ($LOAD_RATE/s, one in four an upload)"
  figure "$name" longest_gap_s "$(jq .longest_gap_s <<< "$json")" s "longest time without a successful request"
  figure "$name" uploads_lost "$(jq .uploads_lost <<< "$json")" uploads "accepted uploads ($(jq .uploads_accepted <<< "$json")) without their four sizes 120 s after the load"
  figure "$name" max_floating_ip_holders "$(jq .max_holders <<< "$holders_json")" nodes "most VMs holding the floating IP at once (every address change on every VM, ip monitor)"
  figure "$name" floating_ip_overlap_s "$(jq .overlap_s <<< "$holders_json")" s "time with the floating IP on two VMs at once"
  figure "$name" floating_ip_moves "$(jq .moves <<< "$holders_json")" moves "times the floating IP changed holder"
  figure "$name" keepalived_master_entries "$masters" transitions "'Entering MASTER STATE' lines of every VM's keepalived during the scenario"
  figure "$name" keepalived_vrrp_respawns "$respawns" processes "VRRP processes of keepalived that died and were respawned during the scenario"
}

# Every group of the imgr job at its count with passing Consul checks, the ingress on every eligible node.
whole() {
  local want running passing
  want=$(nomadp job inspect -json imgr 2>/dev/null | jq '[.TaskGroups[].Count] | add') || return 1
  running=$(nomadp job allocs -json imgr 2>/dev/null | jq '[.[] | select(.ClientStatus == "running" and .DesiredStatus == "run")] | length') || return 1
  passing=0
  for service in imgr-api imgr-worker imgr-web; do
    passing=$((passing + $(on provider curl -fsS "http://127.0.0.1:8500/v1/health/service/$service?passing" | jq length)))
  done
  [ "$running" -ge "$want" ] && [ "$passing" -ge "$want" ] || return 1
  local eligible ingress
  eligible=$(nomadp node status -json | jq '[.[] | select(.Status == "ready" and .SchedulingEligibility == "eligible")] | length')
  ingress=$(on provider curl -fsS "http://127.0.0.1:8500/v1/health/service/imgr-ingress?passing" | jq length)
  [ "$ingress" -ge "$eligible" ]
}

wait_whole() { # wait_whole SECONDS: 0 once whole
  local deadline=$((SECONDS + $1))
  until whole; do [ $SECONDS -lt $deadline ] || return 1; sleep 1; done
}

# When keepalived on VM logged its takeover after epoch T0: the seconds between.
takeover_after() { # takeover_after VM T0
  local t
  t=$(on "$1" journalctl -u keepalived -o short-unix --no-pager --since "@${2%.*}" |
    awk '/Entering MASTER STATE/ { print $1; exit }')
  [ -n "$t" ] && awk -v a="$2" -v b="$t" 'BEGIN { printf "%.3f", b - a }'
}

other_vm() { vms | grep -vx "$1" | head -1; }

# Images of the same build under another tag, loaded into the VMs: a new version to roll out.
retag_on_vms() { # retag_on_vms NEWTAG
  local n base
  base=$(base_tag)
  for n in $(vms); do
    on "$n" docker tag "ghcr.io/imgr/imgr:$base" "ghcr.io/imgr/imgr:$1"
    on "$n" docker tag "ghcr.io/imgr/imgr-web:$base" "ghcr.io/imgr/imgr-web:$1"
  done
}

running_tag() { nomadp job inspect -json "${1:-imgr}" | jq -r '.TaskGroups[0].Tasks[0].Config.image' | sed 's/.*://'; } # [JOB]

# ---------------------------------------------------------------- scenarios

scenario_keepalived_stopped() { # keepalived stopped on the holder: the backup takes the address
  local s=keepalived_stopped holder other t0 took
  holder=$(holders | head -1)
  other=$(other_vm "$holder")
  load_start $s
  t0=$(now)
  on "$holder" systemctl stop keepalived
  for _ in $(seq 50); do [ -n "$(on "$other" ip -o address show to "$FLOATING_IP")" ] && break; sleep 0.2; done
  # From the holder's own "Stopping" line: the time of the docker exec itself left out.
  t0=$(on "$holder" journalctl -u keepalived -o short-unix --no-pager --since "@${t0%.*}" | awk '/Stopping/ { print $1; exit }')
  took=$(takeover_after "$other" "$t0") || die "$s: $other never took the floating IP"
  sleep 10
  on "$holder" systemctl start keepalived
  sleep 10
  load_stop $s
  figure $s takeover_s "$took" s "from keepalived 'Stopping' on the holder to 'Entering MASTER STATE' on the backup (VRRPv${LAB_VRRP_VERSION:-3})"
  [ "$(holders)" = "$other" ] || die "$s: the floating IP did not stay on $other after keepalived came back (nopreempt)"
}

scenario_rollout() { # a new version rolled out with canaries and automatic promotion
  local s=rollout t0 tag
  tag=$(base_tag)-r$(date +%s) # a new tag each run: a new job version to roll out
  retag_on_vms "$tag"
  load_start $s
  t0=$(now)
  playbook playbooks/deploy.yml -e "imgr_image_tag=$tag" || die "$s: deploy.yml failed"
  figure $s deploy_s "$(seconds_since "$t0")" s "deploy.yml run: canaries placed, healthy, auto-promoted, old instances stopped"
  wait_whole 120 || die "$s: not whole after the roll-out"
  load_stop $s
  [ "$(running_tag)" = "$tag" ] || die "$s: the job does not run $tag"
}

scenario_broken_version() { # a version whose processes exit at once: the deployment fails and reverts
  local s=broken_version t0 rc=0 before base broken
  before=$(running_tag)
  base=$(base_tag)
  broken=$base-broken
  mkdir -p "$LAB/broken"
  # Its processes exit at once: no canary ever becomes healthy.
  printf 'FROM ghcr.io/imgr/imgr:%s\nENTRYPOINT ["/usr/local/bin/node", "-e", "process.exit(3)"]\n' "$base" > "$LAB/broken/Dockerfile"
  docker build -q -t "ghcr.io/imgr/imgr:$broken" "$LAB/broken" >/dev/null
  docker tag "ghcr.io/imgr/imgr-web:$base" "ghcr.io/imgr/imgr-web:$broken"
  local n
  for n in $(vms); do
    docker save "ghcr.io/imgr/imgr:$broken" "ghcr.io/imgr/imgr-web:$broken" | on_stdin "$n" docker load -q >/dev/null
  done
  load_start $s
  t0=$(now)
  playbook playbooks/deploy.yml -e "imgr_image_tag=$broken" || rc=$?
  [ $rc -ne 0 ] || die "$s: deploy.yml passed with a broken version"
  for _ in $(seq 120); do [ "$(running_tag)" = "$before" ] && break; sleep 2; done
  [ "$(running_tag)" = "$before" ] || die "$s: not reverted to $before"
  wait_whole 180 || die "$s: not whole after the revert"
  figure $s revert_s "$(seconds_since "$t0")" s "from deploy.yml of the broken version to the job reverted to $before and whole"
  load_stop $s
  case "$(running_tag imgr-sweep)" in *-broken) die "$s: imgr-sweep was submitted with the broken tag" ;; esac
}

scenario_maintenance() { # maintenance-start and -end on the floating IP's holder
  local s=maintenance holder t0
  holder=$(holders | head -1)
  load_start $s
  t0=$(now)
  playbook playbooks/maintenance-start.yml -e "node=$holder" || die "$s: maintenance-start.yml failed"
  figure $s start_s "$(seconds_since "$t0")" s "maintenance-start.yml on the holder ($holder): floating IP moved, node drained"
  t0=$(now)
  playbook playbooks/maintenance-end.yml -e "node=$holder" || die "$s: maintenance-end.yml failed"
  figure $s end_s "$(seconds_since "$t0")" s "maintenance-end.yml: node back in service"
  playbook playbooks/maintenance-end.yml -e "node=$holder" || die "$s: maintenance-end.yml re-run failed"
  wait_whole 180 || die "$s: not whole after the maintenance"
  load_stop $s
}

scenario_node_crash() { # the holder's VM killed (power cut), then started again
  local s=node_crash holder other t0 took
  holder=$(holders | head -1)
  other=$(other_vm "$holder")
  load_start $s
  t0=$(now)
  docker kill -s KILL "imgr-lab-$holder" >/dev/null
  GONE_AT[$holder]=$t0
  for _ in $(seq 50); do [ -n "$(on "$other" ip -o address show to "$FLOATING_IP")" ] && break; sleep 0.2; done
  took=$(takeover_after "$other" "$t0") || die "$s: $other never took the floating IP"
  figure $s takeover_s "$took" s "from the kill of the holder ($holder) to 'Entering MASTER STATE' on $other (VRRPv${LAB_VRRP_VERSION:-3})"
  # Nomad marks the node down after its heartbeat expires and places the lost allocations on $other;
  # until then the dead node's allocations still count as running.
  for _ in $(seq 120); do
    [ "$(nomadp node status -json | jq -r --arg n "$holder" '.[] | select(.Name == $n) | .Status')" = down ] && break
    sleep 1
  done
  figure $s node_down_s "$(seconds_since "$t0")" s "from the kill to Nomad marking $holder down (heartbeat missed)"
  wait_whole 300 || die "$s: the service was not whole on $other alone"
  figure $s whole_on_one_node_s "$(seconds_since "$t0")" s "from the kill to every imgr instance running and passing on $other"
  t0=$(now)
  docker start "imgr-lab-$holder" >/dev/null
  # A new start is a new cgroup without real-time budget (lab.sh rt_budget): without it keepalived's
  # VRRP process ran SCHED_OTHER after the crash, and later scenarios saw spurious elections.
  rt_budget "$holder"
  watch_address $s "$holder"
  for _ in $(seq 180); do
    [ "$(nomadp node status -json | jq '[.[] | select(.Status == "ready" and .SchedulingEligibility == "eligible")] | length')" -ge 2 ] && break
    sleep 1
  done
  wait_whole 180 || die "$s: not whole after $holder came back"
  figure $s node_back_s "$(seconds_since "$t0")" s "from the start of $holder to the node ready, eligible, with its ingress passing"
  load_stop $s
}

scenario_reboot() { # a reboot without the runbook (drain_on_shutdown), on the standby
  local s=reboot node t0 eligible=""
  node=$(other_vm "$(holders | head -1)")
  load_start $s
  t0=$(now)
  # docker stop sends SIGRTMIN+3 (systemd halts: units stopped in order, Nomad drains the node).
  docker stop -t 420 "imgr-lab-$node" >/dev/null
  figure $s shutdown_s "$(seconds_since "$t0")" s "orderly shutdown of $node (Nomad's drain_on_shutdown included)"
  docker start "imgr-lab-$node" >/dev/null
  rt_budget "$node" # before its keepalived starts (see scenario_node_crash)
  watch_address $s "$node"
  t0=$(now)
  for _ in $(seq 240); do
    eligible=$(nomadp node status -json | jq -r --arg n "$node" '.[] | select(.Name == $n and .Status == "ready") | .SchedulingEligibility')
    [ "$eligible" = eligible ] && break
    sleep 1
  done
  [ "$eligible" = eligible ] || die "$s: $node is not eligible after the reboot ($eligible)"
  figure $s eligible_after_boot_s "$(seconds_since "$t0")" s "from the start of $node to its Nomad node ready and eligible again"
  wait_whole 180 || die "$s: not whole after the reboot"
  figure $s whole_after_boot_s "$(seconds_since "$t0")" s "from the start of $node to its ingress passing again"
  load_stop $s
}

scenario_add_remove_node() { # a third VM added with add-node.yml (twice), then removed with remove-node.yml (twice)
  local s=add_remove_node t0 loader
  start_host vm3
  HOSTS="$HOSTS vm3"
  write_operator_files
  load_start $s
  # No registry here: the images go into vm3's Docker as soon as add-node.yml has installed it.
  # The role may restart the fresh dockerd once (daemon.json written before the install): retried.
  (
    for _ in $(seq 600); do
      on vm3 docker image inspect haproxy:2.8.10-alpine >/dev/null 2>&1 && break
      if on vm3 docker info >/dev/null 2>&1; then
        docker save "ghcr.io/imgr/imgr:$(base_tag)" "ghcr.io/imgr/imgr-web:$(base_tag)" haproxy:2.8.10-alpine |
          on_stdin vm3 docker load -q >/dev/null 2>&1 || true
      fi
      sleep 1
    done
  ) &
  loader=$!
  t0=$(now)
  playbook playbooks/add-node.yml -e node=vm3 || die "$s: add-node.yml failed"
  figure $s add_node_s "$(seconds_since "$t0")" s "add-node.yml on a fresh VM (Docker installed, agents joined, ingress serving there)"
  wait "$loader" || true
  t0=$(now)
  playbook playbooks/add-node.yml -e node=vm3 || die "$s: add-node.yml re-run failed"
  figure $s add_node_rerun_changed "$(recap_changed add-node)" tasks "tasks the add-node.yml re-run changed"
  wait_whole 180 || die "$s: not whole with vm3"
  t0=$(now)
  playbook playbooks/remove-node.yml -e node=vm3 || die "$s: remove-node.yml failed"
  figure $s remove_node_s "$(seconds_since "$t0")" s "remove-node.yml (drained, left Consul, agents stopped, peers updated)"
  playbook playbooks/remove-node.yml -e node=vm3 || die "$s: remove-node.yml re-run failed"
  figure $s remove_node_rerun_changed "$(recap_changed remove-node)" tasks "tasks the remove-node.yml re-run changed"
  wait_whole 180 || die "$s: not whole after vm3 left"
  load_stop $s
  # The operator then deletes vm3 from the inventory.
  HOSTS=${HOSTS% vm3}
  write_operator_files
  docker rm -f imgr-lab-vm3 >/dev/null
}

scenario_rotate_secrets() { # new broker credentials and a new gossip key in the vault, then rotate-secrets.yml
  local s=rotate_secrets t0 old_user new_user key n keys keyring
  old_user=$(broker_credentials | cut -d: -f1)
  new_user=imgr-lab-r$(date +%s)
  # As the runbook says: the new credentials first, the old ones revoked only after the playbook.
  rabbitmqctl add_user "$new_user" "$new_user-secret" >/dev/null
  rabbitmqctl set_permissions -p imgr-lab "$new_user" '.*' '.*' '.*' >/dev/null
  echo "$new_user:$new_user-secret" > "$LAB/broker-credentials"
  key=$(consul keygen)
  echo "$key" > "$LAB/gossip.key"
  write_operator_files # the vault edited (ansible-vault edit), nothing else
  load_start $s
  t0=$(now)
  playbook playbooks/rotate-secrets.yml || die "$s: rotate-secrets.yml failed"
  figure $s rotate_s "$(seconds_since "$t0")" s "rotate-secrets.yml: variables written, allocations replaced one at a time, gossip key switched, configs re-rendered"
  wait_whole 180 || die "$s: not whole after the rotation"
  # Every instance must now use the new user: revoking the old one must change nothing for the service.
  rabbitmqctl delete_user "$old_user" >/dev/null
  sleep 20
  wait_whole 60 || die "$s: not whole once the old broker user ($old_user) was revoked"
  load_stop $s
  keyring=$(on provider consul keyring -list)
  grep -qF "$key" <<< "$keyring" || die "$s: the new gossip key is not installed"
  keys=$(grep -oE '^ +[A-Za-z0-9+/=]{40,} \[' <<< "$keyring" | awk '{ print $1 }' | sort -u | wc -l)
  figure $s gossip_keys_installed "$keys" keys "distinct gossip keys in the keyrings after the rotation (old ones removed)"
  for n in $(vms); do
    on "$n" grep -rqF "$key" /etc/consul.d || die "$s: $n's Consul configuration kept the old gossip key"
  done
  playbook playbooks/rotate-secrets.yml || die "$s: rotate-secrets.yml re-run failed"
  figure $s rerun_changed "$(recap_changed rotate-secrets)" tasks "tasks the rotate-secrets.yml re-run changed"
}

scenario_ci_deploy() { # the CI pipeline's deploy script, run from the provider host as a CI runner would
  local s=ci_deploy t0 tag ci=/root/ci
  # What the pipeline's checkout has: deploy/scripts, deploy/nomad with the committed deploy inputs, the
  # smoke test. The script accepts commit shas only: a new one, of the same build retagged.
  tag=$(openssl rand -hex 6)
  retag_on_vms "$tag"
  on provider rm -rf "$ci"
  on provider mkdir -p "$ci/deploy" "$ci/scripts"
  docker cp "$DEPLOY/scripts" "imgr-lab-provider:$ci/deploy/scripts"
  docker cp "$LAB/nomad" "imgr-lab-provider:$ci/deploy/nomad"
  docker cp "$REPO/scripts/smoke.sh" "imgr-lab-provider:$ci/scripts/smoke.sh"
  load_start $s
  t0=$(now)
  # No registry here: the images are on the nodes already, so the public-pull check is skipped.
  on provider env "${PROVIDER_NOMAD_ENV[@]}" IMGR_REGISTRY_LOGIN_ON_NODES=1 "$ci/deploy/scripts/nomad-deploy.sh" "$tag" \
    > "$LAB/out/ci-deploy.log" 2>&1 || die "$s: nomad-deploy.sh failed (see $LAB/out/ci-deploy.log)"
  figure $s deploy_s "$(seconds_since "$t0")" s "deploy/scripts/nomad-deploy.sh: ingress, imgr (canaries, promotion), sweep, smoke test through the floating IP"
  wait_whole 120 || die "$s: not whole after the CI deploy"
  load_stop $s
  [ "$(running_tag)" = "$tag" ] || die "$s: the job does not run $tag"
  [ "$(running_tag imgr-sweep)" = "$tag" ] || die "$s: imgr-sweep does not run $tag"
}

# Sum of changed= over every host of the last run of playbook NAME.
recap_changed() { sed -n '/PLAY RECAP/,$ s/.*changed=\([0-9]*\).*/\1/p' "$LAB/out/$1.log" | awk '{ s += $1 } END { print s + 0 }'; }

# One JSON file: { suite, date, commit, machine, figures: { "<scenario>.<name>": {value, unit, what} } }.
write_results() {
  local out=${LAB_RESULTS:-$LAB/results/lab.json}
  mkdir -p "$(dirname "$out")"
  jq -s --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg commit "$(git -C "$REPO" rev-parse HEAD)" \
    --arg machine "$(uname -m), $(nproc) cores, $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo), $(nomad version | sed -n 1p), $(consul version | sed -n 1p), $("${ANSIBLE_BIN}ansible-playbook" --version | sed -n 1p)" \
    '{suite: "lab", date: $date, commit: $commit, machine: $machine,
      figures: (map({key: "\(.scenario).\(.name)", value: {value, unit, what}}) | from_entries)}' \
    "$LAB/out/figures.jsonl" > "$out"
  log "results: $out"
}

run_scenarios() { # run_scenarios [NAME...] (default: all, in this order)
  local names=("$@") name
  [ ${#names[@]} -gt 0 ] || names=(keepalived_stopped rollout broken_version maintenance node_crash reboot rotate_secrets ci_deploy add_remove_node)
  for name in "${names[@]}"; do
    log "scenario $name"
    "scenario_$name"
    log_keepalived_policy # still SCHED_RR on every VM after the scenario (restarts, crashes, reboots)?
    write_results
    # One JSON line per scenario on stdout (and in out/scenarios.jsonl): its figures by name.
    jq -sc --arg s "$name${LAB_SCENARIO_SUFFIX:-}" 'map(select(.scenario == $s)) | {scenario: $s} + (map({(.name): .value}) | add)' \
      "$LAB/out/figures.jsonl" | tee -a "$LAB/out/scenarios.jsonl"
  done
}
