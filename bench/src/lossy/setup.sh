#!/bin/sh
# Set-up for the lossy-link benchmark (bench/src/scenarios/lossy-link.ts): Debian's mosh and OpenSSH, and iproute2
# for the network namespaces. Run as root; the benchmark runs it by itself when one of them is missing.
set -eu
if [ "$(id -u)" != 0 ]; then
  echo "setup.sh: the lossy-link benchmark needs root (network namespaces, TUN devices, sshd); run it as root" >&2
  exit 1
fi
need=""
command -v mosh-server >/dev/null 2>&1 || need="$need mosh"
[ -x /usr/sbin/sshd ] || need="$need openssh-server"
command -v ssh >/dev/null 2>&1 || need="$need openssh-client"
command -v ip >/dev/null 2>&1 || need="$need iproute2"
command -v perl >/dev/null 2>&1 || need="$need perl-base"
if [ -n "$need" ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need
fi
[ -c /dev/net/tun ] || { echo "setup.sh: /dev/net/tun is missing; the ssh runs need TUN devices (modprobe tun)" >&2; exit 1; }
