#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# Builds, offline, the container images that the sandbox cluster (real
# kubelets on Debian's containerd) and the Kubernetes 1.20 e2e suite ask for,
# as one-layer docker-archive tarballs that `ctr -n k8s.io images import`
# takes (no registry is reachable here, so nothing can be pulled):
#   OUTDIR/pause.tar    k8s.gcr.io/pause:3.2       kubelet's and containerd's
#                                                  sandbox image: /pause only
#   OUTDIR/busybox.tar  docker.io/library/busybox:1.29
#                                                  Debian's static busybox and
#                                                  a link for every applet
#   OUTDIR/agnhost.tar  k8s.gcr.io/e2e-test-images/agnhost:2.21
#                                                  /agnhost, busybox for the
#                                                  basics, and the real tools
#                                                  the e2e tests run inside it
#   OUTDIR/dnsutils.tar gcr.io/kubernetes-e2e-test-images/dnsutils:1.1 and
#                       gcr.io/kubernetes-e2e-test-images/jessie-dnsutils:1.0
#                                                  (one image, two names): the
#                                                  DNS tests' queriers; busybox,
#                                                  bash as /bin/sh, dig, nslookup,
#                                                  host, getent, hostname
# The names are those of 1.20's test/utils/image/manifest.go.  pause and agnhost
# are the static programs scripts/setup.sh builds into $KOVN_CACHE/kubernetes.
#
# agnhost follows upstream's test/images/agnhost/Dockerfile, with Debian's
# programs in place of Alpine's: the tests run shell commands in it through
# `/bin/sh -c` (nc -u, curl, dig, getent, ss, conntrack, ...).  Debian's static
# busybox sh runs its own applets ahead of $PATH, so /bin/sh is bash there, and
# each real tool replaces the busybox applet of the same name.  Tools come with
# the shared libraries ldd lists and the dynamic loader.  Not provided: the
# /coredns binary upstream adds (no Debian package; only the DNS tests that
# start their own CoreDNS pod use it).  As upstream: Cmd ["pause"], /uploads,
# porter's localhost.crt/key in /, /agnhost-2 -> agnhost, iperf in
# /usr/local/bin.
#
# The tarballs are deterministic (sorted names, fixed mtime, owner 0), so equal
# inputs give equal image IDs.  OUTDIR/images.key records the inputs (sha256 of
# pause and agnhost, the Debian versions of the packages the files come from,
# the recipe revision and this script's sha256, and size+mtime of every other
# host file copied); when it matches, a run does nothing (a fraction of a
# second: hashing agnhost is most of it).  Every file is written to a temporary name first
# and renamed into place.
#
# Usage: scripts/build-images.sh [OUTDIR]
#          build OUTDIR/{pause,busybox,agnhost,dnsutils}.tar (default $KOVN_CACHE/images,
#          KOVN_CACHE defaults to /var/cache/kovn)
#        scripts/build-images.sh --import CONTAINERD_SOCKET [OUTDIR]
#          build as above, then import all of them into namespace k8s.io of the
#          containerd listening on CONTAINERD_SOCKET and check they are listed
set -euo pipefail
export LC_ALL=C
umask 022

# The recipe: its revision, and this file's sha256 in the key as well, so that
# any edit here rebuilds.  Bump RECIPE when what goes into the images changes.
RECIPE=3

KOVN_CACHE=${KOVN_CACHE:-/var/cache/kovn}
PAUSE_BIN=$KOVN_CACHE/kubernetes/pause
AGNHOST_BIN=$KOVN_CACHE/kubernetes/agnhost

PAUSE_REF=k8s.gcr.io/pause:3.2
BUSYBOX_REF=docker.io/library/busybox:1.29
AGNHOST_REF=k8s.gcr.io/e2e-test-images/agnhost:2.21
# The DNS tests' images (1.20's Dnsutils and JessieDnsutils).
DNSUTILS_REFS=(gcr.io/kubernetes-e2e-test-images/dnsutils:1.1
               gcr.io/kubernetes-e2e-test-images/jessie-dnsutils:1.0)
IMAGES=(pause busybox agnhost dnsutils)

IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EPOCH=0 # every mtime in the tarballs, and "created" in the image configs
CREATED=1970-01-01T00:00:00Z

BUSYBOX_HOST=/bin/busybox
# Real tools in agnhost: path in the image, path on the host, Debian package.
# Packages with a trailing "?" are optional: left out (with a warning) when
# not installed.  Uses in the 1.20 e2e tests (test/e2e/network,
# test/e2e/framework/{network,service}):
#   bash     /bin/sh for `kubectl exec -- /bin/sh -x -c` and `sh -c` commands
#   nc       `nc -u -w 5 -p PORT`, `nc -zv -t|-u -w 2` (conntrack, Services)
#   curl     netexec /dial, session affinity, source IP, unready endpoints
#   ip, ss   `ss -ant46 'sport = :PORT'` (NodePort), iproute2 as upstream
#   conntrack  `conntrack -L -f ipv4 -d IP` (kube-proxy CLOSE_WAIT)
#   dig      DNS tests' querier container and dnsTestCommon.runDig
#   getent   DNS tests: `getent hosts NAME`
#   hostname DNS tests: `hostname -i`, `hostname -s`
#   iperf    networking_perf.go: /usr/local/bin/iperf (Feature:Networking-Performance)
#   wget     `wget -q -T 1 -O - URL` from host-exec pods (Services up/down,
#            headless, service-proxy-name): Debian's static busybox 1.35
#            wget crashes (SIGSEGV) with -T
AGNHOST_TOOLS=(
  "/usr/bin/bash      /bin/bash          bash"
  "/usr/bin/nc        /bin/nc.openbsd    netcat-openbsd"
  "/usr/bin/curl      /usr/bin/curl      curl"
  "/usr/bin/ip        /bin/ip            iproute2"
  "/usr/bin/ss        /bin/ss            iproute2"
  "/usr/sbin/conntrack /usr/sbin/conntrack conntrack"
  "/usr/bin/dig       /usr/bin/dig       bind9-dnsutils"
  "/usr/bin/getent    /usr/bin/getent    libc-bin"
  "/usr/bin/hostname  /bin/hostname      hostname"
  "/usr/bin/iperf     /usr/bin/iperf     iperf?"
  "/usr/bin/wget      /usr/bin/wget      wget"
)
# Real tools in dnsutils, as in AGNHOST_TOOLS.
DNSUTILS_TOOLS=(
  "/usr/bin/bash      /bin/bash          bash"
  "/usr/bin/dig       /usr/bin/dig       bind9-dnsutils"
  "/usr/bin/nslookup  /usr/bin/nslookup  bind9-dnsutils"
  "/usr/bin/host      /usr/bin/host      bind9-host"
  "/usr/bin/getent    /usr/bin/getent    libc-bin"
  "/usr/bin/hostname  /bin/hostname      hostname"
)

log() { printf 'build-images: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

usage() {
  sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

# --- inputs and the cache key ------------------------------------------------

# Packages the images take files from: "name" or "name?" (optional).
packages() {
  local t dest src pkg
  printf '%s\n' busybox-static
  for t in "${AGNHOST_TOOLS[@]}" "${DNSUTILS_TOOLS[@]}"; do
    read -r dest src pkg <<<"$t"
    printf '%s\n' "$pkg"
  done | awk '!seen[$0]++'
}

# "NAME VERSION" for each package, VERSION "absent" when not installed.
package_versions() {
  local -a names
  local -A ver=()
  local p st v
  mapfile -t names < <(packages | tr -d '?')
  while read -r p st v; do
    [ "$st" = ii ] && ver[$p]=$v
  done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev} ${Version}\n' "${names[@]}" 2>/dev/null || true)
  for p in "${names[@]}"; do printf '%s %s\n' "$p" "${ver[$p]:-absent}"; done
}

# The first part of the key: everything that is known before building.
inputs() {
  local f
  printf 'recipe %s %s\n' "$RECIPE" "$(sha256sum <"${BASH_SOURCE[0]}" | cut -d' ' -f1)"
  for f in "$PAUSE_BIN" "$AGNHOST_BIN"; do
    [ -f "$f" ] || die "$f is missing: run scripts/setup.sh first (it builds pause and agnhost)"
    printf 'sha256 %s %s\n' "${f##*/}" "$(sha256sum <"$f" | cut -d' ' -f1)"
  done
  package_versions | sed 's/^/deb /'
}

# Size and mtime of host files: a library updated in place (a new libssl3
# without a new curl) shows here.
stat_files() { [ $# -eq 0 ] || stat -c 'file %n %s %Y' -- "$@"; }

# True when OUTDIR holds all images built from exactly these inputs.
up_to_date() {
  local key=$1 want=$2 n
  [ -f "$key" ] || return 1
  for n in "${IMAGES[@]}"; do [ -s "$OUTDIR/$n.tar" ] || return 1; done
  [ "$(grep -v '^file ' "$key")" = "$want" ] || return 1
  local -a files
  mapfile -t files < <(awk '$1 == "file" { print $2 }' "$key")
  [ "$(stat_files "${files[@]}" 2>/dev/null)" = "$(grep '^file ' "$key")" ]
}

# --- filling a root file system ----------------------------------------------

declare -A HOST_FILES=()   # host file -> 1: what was copied, for the key
declare -A PKG_VERSIONS=() # Debian package -> version or "absent"

# put SRC DEST: copy host file SRC (following links) to DEST in the image.
# DEST's directories may be the skeleton's links (/lib -> usr/lib).
put() {
  local src=$1 dest=$ROOT$2
  [ -d "${dest%/*}" ] || mkdir -p "${dest%/*}"
  if [ -e "$dest" ] || [ -L "$dest" ]; then rm -f "$dest"; fi # a busybox link: cp would follow it
  cp -L --preserve=mode "$src" "$dest"
  HOST_FILES[$src]=1
}

# put_libs BIN...: the shared libraries ldd lists for each BIN, and the
# dynamic loader, at the paths ldd shows (the soname, e.g.
# /lib/x86_64-linux-gnu/libc.so.6, which the loader searches without a
# cache, and /lib64/ld-linux-x86-64.so.2, the programs' ELF interpreter).
put_libs() {
  local bin out lib
  for bin; do
    if ! out=$(ldd "$bin" 2>&1); then
      case $out in *"not a dynamic executable"*) continue ;; esac
      die "ldd $bin: $out"
    fi
    case $out in *"statically linked"*) continue ;; *"not found"*) die "ldd $bin: $out" ;; esac
    while read -r lib; do
      [ -e "$ROOT$lib" ] || put "$lib" "$lib"
    done < <(printf '%s\n' "$out" | awk '$2 == "=>" && $3 ~ /^\// { print $3; next }
                                          $1 ~ /^\// { print $1 }')
  done
}

# A Debian-style merged-/usr skeleton with the few files programs expect.
skeleton() {
  mkdir -p "$ROOT"/usr/{bin,sbin,lib,lib64,local/bin,local/sbin} "$ROOT"/{etc,home,var,proc,sys,dev,run}
  ln -s usr/bin "$ROOT/bin"
  ln -s usr/sbin "$ROOT/sbin"
  ln -s usr/lib "$ROOT/lib"
  ln -s usr/lib64 "$ROOT/lib64"
  mkdir -m 0700 "$ROOT/root"
  mkdir -m 1777 "$ROOT/tmp"
  cat >"$ROOT/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
EOF
  cat >"$ROOT/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
tty:x:5:
nogroup:x:65534:
EOF
  cat >"$ROOT/etc/nsswitch.conf" <<'EOF'
passwd:         files
group:          files
shadow:         files
hosts:          files dns
networks:       files
protocols:      files
services:       files
EOF
}

# Debian's static busybox at /bin/busybox and a link for each of its applets.
busybox_applets() {
  put "$BUSYBOX_HOST" /usr/bin/busybox
  # One process for some 270 links (a fork each costs more than the rest).
  "$BUSYBOX_HOST" --list-full | python3 -c '
import os, sys
root = sys.argv[1]
for p in sys.stdin.read().split():
    if os.path.basename(p) != "busybox":
        os.symlink("/bin/busybox", os.path.join(root, p))
' "$ROOT"
}

# Remove busybox's applet NAME from every bin directory, so that the real
# program of that name is the one found on $PATH.
drop_applet() {
  local d
  for d in usr/bin usr/sbin usr/local/bin usr/local/sbin; do
    # Before the real programs go in, every link there is an applet.
    if [ -L "$ROOT/$d/$1" ]; then rm -f "$ROOT/$d/$1"; fi
  done
}

# porter's TLS certificate and key (test/images/agnhost/porter/localhost.*,
# which upstream ADDs to /): a self-signed test pair for 127.0.0.1 and ::1,
# public in the Kubernetes repository.
porter_tls() {
  cat >"$ROOT/localhost.crt" <<'EOF'
-----BEGIN CERTIFICATE-----
MIIDGTCCAgGgAwIBAgIRAOAAu25xDsyahNZBSXsUWhswDQYJKoZIhvcNAQELBQAw
EjEQMA4GA1UEChMHQWNtZSBDbzAgFw03MDAxMDEwMDAwMDBaGA8yMDg0MDEyOTE2
MDAwMFowEjEQMA4GA1UEChMHQWNtZSBDbzCCASIwDQYJKoZIhvcNAQEBBQADggEP
ADCCAQoCggEBAJ3bom8WHGFTGbEse2k6bhAQxjnxJvl03+DngrnrbTUXu6zw1k/b
nk11ZHfIZPpnGoySEWYLqHBiRiMvGwRgGAu3Grtf3mfeInjs1aeXFepaXc7KRm4b
z/fw3ABwvJQ9rJw9+Xb8zZqBUpoLZzjjUDTk22pNAS9XMjRSOUtLzPEYH5fL61Ev
J7FD7twinaUbZAUQvg1nsLELt87t+bo964p6p+z77g6TBa6PPezVndzmR3F0VPHV
RLPOd9gqwboFchho3z68ZNb4rnKg1fybuaOPXmwBKDRkaQMAzlnDVe246rx6O6wg
bJKvxaXviejcKMPuZ0EDjxzoWHjnh6ooiOUCAwEAAaNoMGYwDgYDVR0PAQH/BAQD
AgKkMBMGA1UdJQQMMAoGCCsGAQUFBwMBMA8GA1UdEwEB/wQFMAMBAf8wLgYDVR0R
BCcwJYILZXhhbXBsZS5jb22HBH8AAAGHEAAAAAAAAAAAAAAAAAAAAAEwDQYJKoZI
hvcNAQELBQADggEBAGXwn/vvQA0HDbW8WnTAWpvzAfaO6j6wAsDw6sMtcQDovyuk
Q3FCkZJBQ8a1mClBGXveWaDr3bU833IVQIBTvsLmLmQ9t2YrrtbEWyfgszqGK4C7
kIbyUXe7EFiJWP7A0WqwiHtOMbk8j848/CmiKI4D5p+YgXVgurP1IQ5t79Q/ZDyD
EJt+HtJvrCo9ZHacmC865eoJZG6sG2Ul64IItRYDZbr55UKViJ8r81Q67nNCv/8D
f4/K2f+miPVaTMLAll6zCT78I+3iSPPO3yCmL/2Udp4a10Jqrfv+hbf8t4DUcqlz
4XFrUHspRDZcGXFILnAsNOpfK7UmUU0wkbFghkI=
-----END CERTIFICATE-----
EOF
  cat >"$ROOT/localhost.key" <<'EOF'
-----BEGIN RSA PRIVATE KEY-----
MIIEogIBAAKCAQEAnduibxYcYVMZsSx7aTpuEBDGOfEm+XTf4OeCuettNRe7rPDW
T9ueTXVkd8hk+mcajJIRZguocGJGIy8bBGAYC7cau1/eZ94ieOzVp5cV6lpdzspG
bhvP9/DcAHC8lD2snD35dvzNmoFSmgtnOONQNOTbak0BL1cyNFI5S0vM8Rgfl8vr
US8nsUPu3CKdpRtkBRC+DWewsQu3zu35uj3rinqn7PvuDpMFro897NWd3OZHcXRU
8dVEs8532CrBugVyGGjfPrxk1viucqDV/Ju5o49ebAEoNGRpAwDOWcNV7bjqvHo7
rCBskq/Fpe+J6Nwow+5nQQOPHOhYeOeHqiiI5QIDAQABAoIBAG1wRmWTQ6upjAdL
2mcyjflvV6315NpOz6NBfVzdvcFwKbmU4k9M56u1tihg8riy4DISViOT83uudgeQ
cb+Pyzvb/plmtm72DpodP2ZHlXb6nUxu6XMOrxiqkCtx/Rscwt0zDg8S5ou2GokX
XMGQvhtdikxhBHBImFKzqmrsKzH9O3oalpXCHTIHd2aDMkmrMbdjS+SSPBl6yjoz
9abnaztO4b0k76Un/648z17Z9R+OvqUvWLCxCL8XBfGd5kEIS3XLB2NlItKpsMPw
BTbYp45NaPiQOlgcNeeLZxPatSZ8WUB/28dvWzdGc2n/ybZFZlKxG0IvmjBwI97a
vkMSl8UCgYEA0WNFh9jpz3nKngbrOHx3vy6HkI7jots3kW8Lcml1uRInOOG6nerl
m0SSP/tBm4vMK0lzwlDfaTPP6UqvHnB4KI9dg3PvuDTskxC1MrmE/ZXspUHNFlCa
T5UZgXwd6KUv0bc+93KIAY/QiriYmE0DeK6vU+YDBgA4pqcywyotK4sCgYEAwP+/
OBajqNJqspiKo6UveKCHo0+L6+rrQiE3wAKH37I901NFQLBzKBtXGB+DhdrqQuYh
V+DfiXktkf3fqSz4lK5eomIrw+jxPVfgIDHjPUSJoya8sxPUv5E5Vu7dv6EcinE1
fssMGDzs4lcV2GT3bng5T9bgK1rjc191iCOva08CgYBy9Flb946FxYujrpC89jiX
0WfDyW7YHhon0hsquRNUg87cv7DAuhFMaR0R21NtnhZ9PVo8OEIvc66VmdcCkySk
v/DLFn9pVkT7iJSyQH/u6Lx/Dd0WfzH4txbFq+qPqwDR1hTPrSVWFiqbvjSoiL97
JgxDt2e5h62ScQDBfQpHeQKBgHZocdjniuE4t117WROtdMJ9OrpnQ2Eqb8vStXGI
G/SSVnwgyow1tXEV1QlnzDmDZdZFeo9/16VwQxUevOn+PUR69nSJ5m/7qoYIM+mM
se4U7py6V2tG72/YmWVMh5/aKLiHXFq+GF2Gg48Z/r0UtPmBqSfinQX8bS+LkYBE
5IrhAoGAOfnnAOAjSqKTZF5L7CJJHBYYowtcdgKdBfELWP+eWRgXPWS7sWuAE670
STDfr0KxnkrMOGv0SPpN7qVh9zPrFtfXzLkj67g7ydxUIN55cgDoPFLpCVRX87HU
nbVwcbxVjeBqQ1CyN329adNI1LsnPqy59LzBxDM/JWa47A6Y7Vc=
-----END RSA PRIVATE KEY-----
EOF
  chmod 0644 "$ROOT/localhost.crt" "$ROOT/localhost.key"
}

# --- the three root file systems ---------------------------------------------

root_pause() {
  put "$PAUSE_BIN" /pause
  chmod 0755 "$ROOT/pause"
  put_libs "$PAUSE_BIN"
}

root_busybox() {
  skeleton
  busybox_applets
}

# tools NAME TOOL...: busybox, each real TOOL ("dest src package") in place
# of its applet, and bash as sh.
tools() {
  local name=$1 t dest src pkg
  shift
  skeleton
  busybox_applets
  for t in "$@"; do
    read -r dest src pkg <<<"$t"
    if [ "${PKG_VERSIONS[${pkg%\?}]}" = absent ]; then
      log "warning: ${pkg%\?} is not installed: $name has no ${dest##*/}"
      continue
    fi
    drop_applet "${dest##*/}"
    put "$src" "$dest"
    put_libs "$src"
  done
  drop_applet sh
  ln -s bash "$ROOT/usr/bin/sh"
}

root_dnsutils() {
  tools dnsutils "${DNSUTILS_TOOLS[@]}"
}

root_agnhost() {
  tools agnhost "${AGNHOST_TOOLS[@]}"
  if [ -e "$ROOT/usr/bin/nc" ]; then ln -s nc "$ROOT/usr/bin/nc.openbsd"; fi
  if [ -e "$ROOT/usr/bin/iperf" ]; then # where upstream's tests run it
    ln -s /usr/bin/iperf "$ROOT/usr/local/bin/iperf"
  fi
  put "$AGNHOST_BIN" /agnhost
  chmod 0755 "$ROOT/agnhost"
  put_libs "$AGNHOST_BIN"
  ln -s agnhost "$ROOT/agnhost-2" # entrypoint-tester tests
  mkdir "$ROOT/uploads"           # netexec's upload directory
  porter_tls
}

# The image's "config" (Docker's container config), as JSON.
config_pause() {
  jq -nc --arg path "PATH=$IMAGE_PATH" '{Env: [$path], Entrypoint: ["/pause"]}'
}
config_busybox() {
  jq -nc --arg path "PATH=$IMAGE_PATH" '{Env: [$path], Cmd: ["sh"]}'
}
config_dnsutils() {
  jq -nc --arg path "PATH=$IMAGE_PATH" '{Env: [$path], Cmd: ["sh"]}'
}
config_agnhost() {
  jq -nc --arg path "PATH=$IMAGE_PATH" '{
    Env: [$path], Entrypoint: ["/agnhost"], Cmd: ["pause"],
    ExposedPorts: {"80/tcp": {}, "8080/tcp": {}, "8081/tcp": {}, "9376/tcp": {}}
  }'
}

# --- docker-archive ------------------------------------------------------------

# Deterministic tar of the entries of directory $1 (no "./" prefix) to $2.
det_tar() {
  local -a entries
  mapfile -t entries < <(find "$1" -mindepth 1 -maxdepth 1 -printf '%P\n' | sort)
  tar -C "$1" --format=gnu --sort=name --mtime="@$EPOCH" --owner=0 --group=0 \
    --numeric-owner -cf "$2" -- "${entries[@]}"
}

go_arch() {
  case $(dpkg --print-architecture) in
    amd64) echo amd64 ;; arm64) echo arm64 ;; armhf) echo arm ;;
    i386) echo 386 ;; ppc64el) echo ppc64le ;; s390x) echo s390x ;;
    *) dpkg --print-architecture ;;
  esac
}

# build_image NAME REF...: OUTDIR-private WORK/NAME.tar, a docker-archive of one
# layer: <diff id>/layer.tar, <config digest>.json and manifest.json.
build_image() {
  local name=$1 arch dir layer diff cfg cfgsha refs
  refs=$(printf '%s\n' "${@:2}" | jq -R . | jq -sc .)
  ROOT=$WORK/$name.root
  mkdir "$ROOT"
  "root_$name"
  dir=$WORK/$name.archive
  mkdir "$dir"
  layer=$WORK/$name.layer.tar
  det_tar "$ROOT" "$layer"
  diff=$(sha256sum <"$layer" | cut -d' ' -f1)
  mkdir "$dir/$diff"
  mv "$layer" "$dir/$diff/layer.tar"
  arch=$(go_arch)
  cfg=$WORK/$name.config.json
  jq -nc --arg arch "$arch" --arg created "$CREATED" --arg diff "sha256:$diff" \
    --argjson config "$("config_$name")" \
    --arg by "kovn scripts/build-images.sh recipe $RECIPE" '{
      architecture: $arch, os: "linux", created: $created, config: $config,
      rootfs: {type: "layers", diff_ids: [$diff]},
      history: [{created: $created, created_by: $by}]
    }' >"$cfg"
  cfgsha=$(sha256sum <"$cfg" | cut -d' ' -f1)
  mv "$cfg" "$dir/$cfgsha.json"
  jq -nc --arg cfg "$cfgsha.json" --argjson refs "$refs" --arg layer "$diff/layer.tar" \
    '[{Config: $cfg, RepoTags: $refs, Layers: [$layer]}]' >"$dir/manifest.json"
  det_tar "$dir" "$WORK/$name.tar"
  rm -rf "$ROOT" "$dir"
  log "${*:2}: $(du -h "$WORK/$name.tar" | cut -f1), config sha256:$cfgsha"
}

build() {
  local key=$OUTDIR/images.key want n
  want=$(inputs)
  mkdir -p "$OUTDIR"
  if up_to_date "$key" "$want"; then
    return 0
  fi
  local -a missing
  mapfile -t missing < <(packages | grep -v '?$' |
    while read -r n; do grep -qx "deb $n absent" <<<"$want" && echo "$n"; done)
  [ ${#missing[@]} -eq 0 ] ||
    die "missing Debian packages: ${missing[*]} (apt-get install ${missing[*]}; scripts/setup.sh should)"
  local p v
  while read -r p v; do PKG_VERSIONS[$p]=$v; done < <(sed -n 's/^deb //p' <<<"$want")

  WORK=$(mktemp -d "$OUTDIR/.build.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  trap 'exit 1' INT TERM HUP # through the EXIT trap
  log "building ${IMAGES[*]} in $OUTDIR"
  build_image pause "$PAUSE_REF"
  build_image busybox "$BUSYBOX_REF"
  build_image agnhost "$AGNHOST_REF"
  build_image dnsutils "${DNSUTILS_REFS[@]}"
  for n in "${IMAGES[@]}"; do mv -f "$WORK/$n.tar" "$OUTDIR/$n.tar"; done
  {
    printf '%s\n' "$want"
    # pause and agnhost are in the key by their sha256 already.
    unset "HOST_FILES[$PAUSE_BIN]" "HOST_FILES[$AGNHOST_BIN]"
    local -a files
    mapfile -t files < <(readlink -f -- "${!HOST_FILES[@]}" | sort -u)
    stat_files "${files[@]}"
  } >"$WORK/images.key"
  mv -f "$WORK/images.key" "$key"
  rm -rf "$WORK"
  trap - EXIT INT TERM HUP
}

# --- import --------------------------------------------------------------------

import_images() {
  local sock=$1 n ref listed
  command -v ctr >/dev/null || die "ctr not found (Debian's containerd package has it)"
  [ -S "$sock" ] || die "$sock is not a socket"
  # The archives name their platform (linux/$arch), so the default platform
  # filter takes them; import also unpacks them into the default snapshotter,
  # which the CRI plugin needs to create containers from them.
  for n in "${IMAGES[@]}"; do
    ctr -a "$sock" -n k8s.io images import "$OUTDIR/$n.tar" >/dev/null
  done
  # "REF TYPE DIGEST complete (2/2) SIZE/SIZE true": all content, unpacked.
  listed=$(ctr -a "$sock" -n k8s.io images check)
  for ref in "$PAUSE_REF" "$BUSYBOX_REF" "$AGNHOST_REF" "${DNSUTILS_REFS[@]}"; do
    awk -v r="$ref" '$1 == r && $4 == "complete" && $NF == "true" { ok = 1 } END { exit !ok }' \
      <<<"$listed" || die "$ref is not listed, complete and unpacked in containerd at $sock after import"
  done
  log "imported into $sock (namespace k8s.io): $PAUSE_REF $BUSYBOX_REF $AGNHOST_REF ${DNSUTILS_REFS[*]}"
}

SOCK=
case ${1:-} in
  -h | --help) usage ;;
  --import)
    if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi
    SOCK=$2
    shift 2
    ;;
  -*) usage ;;
esac
[ $# -le 1 ] || usage
OUTDIR=${1:-$KOVN_CACHE/images}

build
[ -z "$SOCK" ] || import_images "$SOCK"
