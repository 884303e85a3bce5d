#!/usr/bin/env bash
# Installs everything kovn needs on a Debian 12 machine, as root, and builds the
# two slow upstream pieces once, caching them outside the clone keyed by their
# Debian package version:
#   - the Open vSwitch C library (+ ovsdb-idlc) from openvswitch-source;
#   - libcurl with HTTP(S) over OpenSSL only, static, from Debian's curl
#     source package (its patches applied);
#   - Kubernetes (kube-apiserver, kubectl, kube-controller-manager,
#     kube-scheduler, kubelet, kube-proxy, e2e.test, ginkgo, the agnhost and
#     pause test programs) from the kubernetes source package: the sandbox
#     cluster and the upstream conformance suite.
# A second run takes seconds.  Usage: scripts/setup.sh [--no-kube]
set -euo pipefail

KOVN_CACHE=${KOVN_CACHE:-/var/cache/kovn}
want_kube=1
[ "${1:-}" = "--no-kube" ] && want_kube=0

log() { printf 'setup: %s\n' "$*" >&2; }

PACKAGES=(
  # build
  build-essential meson ninja-build pkg-config python3 autoconf automake libtool
  libssl-dev openvswitch-source
  # kovn's libraries (its libcurl: build_curl below; Debian's is for
  # bench/baseline.sh, which builds earlier commits that link it)
  libcurl4-openssl-dev libfyaml-dev libnl-3-dev libnl-route-3-dev
  libnghttp2-dev
  libmicrohttpd-dev libcmocka-dev
  libnftables-dev
  # real parts the tests run against
  openvswitch-switch ovn-central ovn-host etcd-server openssl iproute2 jq
  # to build kube-apiserver from Debian's source package
  golang-go rsync dpkg-dev golang-github-modern-go-reflect2-dev
  # libcni, for a real CNI caller (cnitool) in the CNI plugin tests
  golang-github-appc-cni-dev
  # nodes as network namespaces (tests/integration/node-env.sh): the
  # apiserver relay, pod checksum offload off, TCP probes, and the
  # bridge+host-local CNI baseline of the benchmarks
  socat ethtool netcat-openbsd containernetworking-plugins
  # the sandbox (make demo) and the end-to-end tests: curl, ping
  curl iputils-ping
  # the sandbox nodes' container runtime, and what goes into the offline
  # test images (busybox; agnhost's shell tools: bash, nc, curl, wget, ip,
  # conntrack, dig, iperf); iptables for kubelet's own chains and
  # kube-proxy (the baseline only)
  containerd runc busybox-static conntrack bind9-dnsutils iperf iptables
  wget
  # nft, for the sandbox's own rules (kovn-daemon uses libnftables)
  nftables
  # the cluster DNS (dns/kovn-dns drives unbound through unbound-control)
  unbound
  # kovn's own container images (scripts/build-kovn-images.sh): podman
  # builds them, as root, on a debian:bookworm-slim base that mmdebstrap
  # makes from Debian's mirror (no registry needed)
  podman mmdebstrap
)

missing_packages() {
  dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null |
    awk '$2 != "ii" { print $1 }'
  # dpkg-query prints nothing for packages it has never heard of
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W "$p" >/dev/null 2>&1 || echo "$p"
  done
}

install_packages() {
  local missing
  missing=$(missing_packages | sort -u)
  [ -z "$missing" ] && return 0
  log "installing: $(echo $missing)"
  apt-get update -q
  # The package scripts try to start services; kovn's tests start their own.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
}

ovs_version() { dpkg-query -W -f='${Version}' openvswitch-source; }

# cached_build NAME DIR WHAT FUNCTION: FUNCTION DIR builds WHAT into the
# empty folder DIR, unless an earlier run finished it (DIR/.built, written
# only after FUNCTION succeeded); then KOVN_CACHE/NAME points to DIR and the
# other NAME-* builds go.
cached_build() {
  local name=$1 dir=$2 what=$3 fn=$4
  if [ -f "$dir/.built" ]; then
    log "$what cached in $dir"
  else
    log "building $what in $dir (one time, a few minutes)"
    rm -rf "$dir" && mkdir -p "$dir"
    "$fn" "$dir" || { log "building $what failed"; exit 1; }
    touch "$dir/.built"
  fi
  ln -sfn "$dir" "$KOVN_CACHE/$name"
  prune_cache "$name" "$dir"
}

# Builds lib/libopenvswitch.la and ovsdb-idlc in a tree under the cache.  The
# tree (sources, config.h, generated headers, the static library) is what
# kovn's meson build compiles and links against.
make_ovs() {   # DIR
  local dir=$1 tarball top
  tarball=$(ls /usr/src/openvswitch/openvswitch.tar.* | head -n 1)
  tar -xf "$tarball" -C "$dir" --strip-components=1 2>/dev/null ||
    tar -xf "$tarball" -C "$dir"
  # Some tarballs unpack into a subfolder; find the tree with configure(.ac).
  top=$(dirname "$(find "$dir" -maxdepth 2 -name configure.ac | head -n 1)")
  [ "$top" = "$dir" ] || { mv "$top"/* "$top"/.[!.]* "$dir"/ 2>/dev/null || true; }
  (
    cd "$dir"
    [ -x configure ] || ./boot.sh >/dev/null
    ./configure --quiet --enable-silent-rules --disable-libcapng \
      CFLAGS="-O2 -g -fPIC" >/dev/null
    # Only the library: its generated headers (BUILT_SOURCES) first.
    local built
    built=$(make -s -f Makefile -f - kovn-built-sources <<'MK'
kovn-built-sources:
	@echo $(BUILT_SOURCES)
MK
)
    make -s -j"$(nproc)" $built >/dev/null
    make -s -j"$(nproc)" lib/libopenvswitch.la ovsdb/ovsdb-idlc >/dev/null
  )
}

build_ovs() {
  local ver
  ver=$(ovs_version)
  cached_build ovs "$KOVN_CACHE/ovs-$ver" "the Open vSwitch library $ver" make_ovs
}

# libcurl for the Kubernetes API client, from Debian's curl source package
# (its patches applied), built once into the cache: HTTP/1.1 and HTTP/2
# (nghttp2, which the client multiplexes its requests and watches over)
# over OpenSSL, nothing else, static.  Debian's libcurl4 links 25 more
# shared libraries (LDAP, Kerberos, SASL, RTMP with GnuTLS, SSH, IDN, PSL,
# brotli, zstd) that kovn never uses but every kovn process would map,
# relocate and initialise: kovn-daemon's memory (bench/RESULTS.md) and the
# kovn image's size.  "-r2": a change to the options must change this key.
make_curl() {   # DIR
  local dir=$1 src
  mkdir -p "$dir/src"
  (cd "$dir/src" && apt-get source -q curl >/dev/null 2>&1) || return 1
  src=$(find "$dir/src" -mindepth 1 -maxdepth 1 -type d -name 'curl-*' | head -n 1)
  (
    cd "$src" || exit 1
    # The last two patches rename the library for Debian's NSS and GnuTLS
    # flavours; its OpenSSL flavour is built without them, as here.
    patch -s -R -p1 <debian/patches/99_nss.patch &&
      patch -s -R -p1 <debian/patches/90_gnutls.patch || exit 1
    autoreconf -fi >/dev/null 2>&1
    ./configure --quiet --prefix="$dir" --disable-shared --enable-static \
      --with-pic --with-openssl --without-zlib --without-brotli \
      --without-zstd --with-nghttp2 --without-libidn2 --without-libpsl \
      --without-librtmp --without-libssh2 --without-libssh --without-gssapi \
      --without-libgsasl --disable-ldap --disable-ldaps --disable-rtsp \
      --disable-dict --disable-telnet --disable-tftp --disable-pop3 \
      --disable-imap --disable-smb --disable-smtp --disable-gopher \
      --disable-mqtt --disable-ftp --disable-file --disable-manual \
      --disable-ntlm --disable-alt-svc --disable-hsts --disable-cookies \
      --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt \
      CFLAGS="-O2 -g" >/dev/null &&
      make -s -j"$(nproc)" -C lib >/dev/null &&
      make -s -C lib install >/dev/null &&
      make -s -C include install >/dev/null
  ) || return 1
  rm -rf "$dir/src"
}

build_curl() {
  local ver
  ver=$(source_version curl)
  cached_build curl "$KOVN_CACHE/curl-$ver-r2" \
    "libcurl $ver (HTTP(S), HTTP/2, OpenSSL only)" make_curl
}

# Removes the cached builds named NAME-* other than KEEP: left by earlier
# package versions or build recipes.
prune_cache() {
  local name=$1 keep=$2 d
  for d in "$KOVN_CACHE/$name"-*; do
    [ -d "$d" ] && [ "$d" != "$keep" ] && [ "$d" != "$KOVN_CACHE/kubernetes-src" ] &&
      { log "removing stale cache $d"; rm -rf "$d"; }
  done
  return 0
}

# dsc_version PKG: see source_version.
dsc_version() {
  apt-get source --print-uris -q "$1" 2>/dev/null |
    sed -n "s/.*'[^']*\/${1}_\([^']*\)\.dsc'.*/\1/p" | head -n 1 |
    sed 's/%2b/+/gI; s/%7e/~/gI'
}

# source_version PKG: the version of Debian source package PKG that
# `apt-get source PKG` fetches (from its .dsc's name), with a deb-src entry
# for bookworm added first and the package lists updated once if they do not
# know PKG yet.  Exits if no apt source has it.
source_version() {
  local pkg=$1 ver
  ensure_deb_src
  ver=$(dsc_version "$pkg")
  [ -n "$ver" ] || { apt-get update -q >&2; ver=$(dsc_version "$pkg"); }
  [ -n "$ver" ] || { log "no $pkg source package in the apt sources"; exit 1; }
  echo "$ver"
}

# Adds a deb-src entry for bookworm main with the same URIs as the machine's
# Debian entry, so that `apt-get source kubernetes` can find the package.
ensure_deb_src() {
  local f=/etc/apt/sources.list.d/kovn-debian-src.sources uris
  [ -f "$f" ] && return 0
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uris=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ { print $2; exit }' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "${uris:-}" ] && [ -f /etc/apt/sources.list ]; then
    uris=$(awk '$1 == "deb" && $0 ~ /bookworm/ && $0 !~ /security/ { print $2; exit }' \
      /etc/apt/sources.list)
  fi
  [ -n "${uris:-}" ] || { log "no Debian apt source found to copy"; exit 1; }
  printf 'Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$uris" >"$f"
  apt-get update -q >&2   # Its callers' stdout is a version (source_version).
}

# What the sandbox cluster and the conformance run need, all built from the
# same source tree: the control plane, the node software, the upstream e2e
# suite, and two test-image programs (static agnhost; pause from its C file).
KUBE_PROGRAMS=(kube-apiserver kubectl kube-controller-manager kube-scheduler
  kubelet kube-proxy e2e.test ginkgo agnhost pause)

# Where `make WHAT=...` finds each program of KUBE_PROGRAMS.
kube_target() {
  case $1 in
    e2e.test) echo test/e2e/e2e.test ;;
    ginkgo) echo vendor/github.com/onsi/ginkgo/ginkgo ;;
    agnhost) echo test/images/agnhost ;;
    *) echo "cmd/$1" ;;
  esac
}

# Patches the vendored code the way kovn needs it (see each reason).
patch_kube_source() {
  local src=$1
  # Kubernetes 1.20 vendors modern-go/reflect2 1.0.1, which crashes
  # (SIGSEGV in runtime.mapiterinit) when built with Go >= 1.18, as
  # Debian's Go 1.19 is: kube-apiserver dies on the first custom resource
  # it encodes.  reflect2 1.0.2 is the upstream fix; Debian packages it.
  rm -rf "$src/vendor/github.com/modern-go/reflect2"
  cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 \
    "$src/vendor/github.com/modern-go/reflect2"
  # CRD validation in 1.20 takes "" for null, so a Subnet status with
  # activateGateway: "" (as Kube-OVN writes it) is refused with 422
  # (kubernetes#99804, fixed upstream in kube-openapi#230).
  local patched=0 f
  for f in vendor/k8s.io/kube-openapi/pkg/validation/validate/type.go \
           vendor/github.com/go-openapi/validate/type.go; do
    [ -f "$src/$f" ] || continue
    python3 - "$src/$f" <<'PY' || { log "$f: could not patch"; exit 1; }
import sys
path = sys.argv[1]
old = ("if data == nil || reflect.DeepEqual(reflect.Zero(reflect.TypeOf(data)),"
       " reflect.ValueOf(data)) {")
text = open(path).read()
if old not in text:
    sys.exit("the expected null check is not there")
open(path, "w").write(text.replace(old, "if data == nil {"))
PY
    patched=$((patched + 1))
  done
  [ "$patched" -gt 0 ] || { log "no CRD validation code found to patch"; exit 1; }
}

# Builds the programs named in $@ from the source tree $1 into $2.
build_kube_programs() {
  local src=$1 dir=$2 work=$3; shift 3
  local go=() p
  for p in "$@"; do
    case $p in agnhost|pause) ;; *) go+=("$(kube_target "$p")") ;; esac
  done
  (
    cd "$src"
    export GOPROXY=off GOFLAGS=-mod=vendor GO111MODULE=on
    export GOPATH="$work/gopath" GOCACHE="$work/gocache"
    if [ "${#go[@]}" -gt 0 ]; then
      make WHAT="${go[*]}" >"$work/build.log" 2>&1 ||
        { tail -n 40 "$work/build.log"; exit 1; }
    fi
    # agnhost runs inside containers with nothing else: static.
    if printf '%s\n' "$@" | grep -qx agnhost; then
      make WHAT=test/images/agnhost KUBE_STATIC_OVERRIDES=agnhost \
        >>"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log"; exit 1; }
    fi
    if printf '%s\n' "$@" | grep -qx pause; then
      gcc -Os -static -o _output/bin/pause build/pause/linux/pause.c
    fi
    for p in "$@"; do cp "_output/bin/$p" "$dir/"; done
  )
}

# Builds what KUBE_PROGRAMS lists from Debian's kubernetes source package,
# once per package version and recipe; a program already in the cache is not
# built again.
build_kube() {
  local ver dir work missing=() p
  ver=$(source_version kubernetes)
  # "-r4": the build patches the vendored code; a change to how it is built
  # must change this key.
  dir="$KOVN_CACHE/kubernetes-$ver-r4"
  mkdir -p "$dir"
  for p in "${KUBE_PROGRAMS[@]}"; do [ -x "$dir/$p" ] || missing+=("$p"); done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "kubernetes $ver cached in $dir"
  else
    log "building kubernetes $ver: ${missing[*]} (one time, about 25 minutes for all)"
    work="$KOVN_CACHE/kubernetes-src"
    rm -rf "$work" && mkdir -p "$work"
    (cd "$work" && apt-get source --download-only -q kubernetes >/dev/null)
    tar -xzf "$(ls "$work"/kubernetes_*.orig.tar.gz | head -n 1)" -C "$work"
    local src
    src=$(dirname "$(find "$work" -maxdepth 2 -name go.mod | head -n 1)")
    patch_kube_source "$src"
    build_kube_programs "$src" "$dir" "$work" "${missing[@]}"
    rm -rf "$work"
  fi
  ln -sfn "$dir" "$KOVN_CACHE/kubernetes"
  prune_cache kubernetes "$dir"
}

mkdir -p "$KOVN_CACHE"
install_packages
build_ovs
build_curl
if [ "$want_kube" = 1 ]; then
  build_kube
  # The sandbox's container images, from those programs and Debian's.
  "$(dirname "$0")/build-images.sh" "$KOVN_CACHE/images"
fi
log "ready: OVS library in $KOVN_CACHE/ovs, libcurl in $KOVN_CACHE/curl${want_kube:+, kube-apiserver in $KOVN_CACHE/kubernetes}"
