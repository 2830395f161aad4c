#!/usr/bin/env bash
# Installs everything this project needs on a fresh Debian 12 machine (idempotent, non-interactive):
# the Debian packages of the real servers and tools the tests drive, and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  openvswitch-switch      # ovsdb-server, ovs-vswitchd (userspace netdev datapath), ovs-vsctl/ofctl/appctl
  etcd-server etcd-client # the etcd store and pub/sub drivers
  mosquitto               # the MQTT pub/sub driver
  python3-openstackclient # the real `openstack` CLI that drives the Neutron API
  busybox isc-dhcp-client # DHCP clients in workload namespaces
  iputils-ping iproute2 ethtool tcpdump procps psmisc
  netsniff-ng iperf3      # bench:ovs: trafgen (64/1514-byte frames over AF_PACKET) and TCP throughput; no kernel pktgen here
  ovn-central ovn-host    # bench:peer: OVN (NB/SB ovsdb-servers, ovn-northd, ovn-controller) on a private OVS, the peer we measure against
  python3-tempest neutron-tempest-plugin # conformance:neutron: the Neutron project's own API tests, run against our API
)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "install-deps: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # Tests start their own private servers; keep the packages' system services from starting.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: Debian packages present"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund
else
  echo "install-deps: node_modules up to date"
fi
