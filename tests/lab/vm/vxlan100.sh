#!/bin/sh
# Stand-in for the provider's private network: a real VXLAN (VNI 100) over eth0 with head-end
# replication to every peer, the host's /16 address on it and no default route through it.
set -eu
. /etc/lab/vxlan100.env   # LOCAL (eth0 address), ADDRESS (a.b.c.d/16), PEERS (eth0 addresses of the others)
ip link show vxlan100 >/dev/null 2>&1 || ip link add vxlan100 type vxlan id 100 dstport 4789 local "$LOCAL" dev eth0
for p in $PEERS; do bridge fdb append 00:00:00:00:00:00 dev vxlan100 dst "$p" 2>/dev/null || true; done
ip link set vxlan100 up
ip -4 addr show dev vxlan100 | grep -q "inet ${ADDRESS%/*}/" || ip addr add "$ADDRESS" dev vxlan100
