#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# Builds kovn's own container images with podman, offline (no registry is
# reachable here; Debian's apt mirrors are), from Debian's packages:
#   localhost/kovn-ovn:TAG  Open vSwitch and OVN, and the start scripts
#                           (deploy/images/ovn.Containerfile)
#   localhost/kovn:TAG      kovn-controller, kovn-daemon and the kovn CNI
#                           plugin of a meson build dir, with the Debian
#                           packages of their libraries and ovs-appctl
#                           (deploy/images/kovn.Containerfile)
# and saves them as docker-archives that `ctr -n k8s.io images import` takes:
#   $KOVN_CACHE/images/kovn-ovn.tar, $KOVN_CACHE/images/kovn.tar
#
# Steps, each timed:
#   base     docker.io/library/debian:bookworm-slim, which both Containerfiles
#            start FROM, made here with mmdebstrap: variant minbase, slimmed
#            as Docker's debian slim images are (debuerreotype: no
#            /usr/share/{doc,man,info,locale,groff,...} but the copyright
#            files; apt's docker-clean, no translations, gzipped indexes;
#            policy-rc.d refusing to start services), package lists removed,
#            then `podman import`ed.  Kept while its key matches: the Debian
#            mirrors (as the host's apt sources name them, or
#            KOVN_DEBIAN_MIRROR / KOVN_DEBIAN_SECURITY_MIRROR, e.g. a
#            snapshot.debian.org URL), the mmdebstrap version and the recipe
#            (revision and options), in $KOVN_CACHE/images/debian-bookworm-slim.key
#            with the image ID.  A moving mirror does not change the key:
#            remove that file to refresh the base.
#   ovn      `podman build --network host` (podman's layer cache: a run with
#   kovn     nothing changed reuses every layer) from a temporary context
#            holding only what the Containerfile copies: the start scripts,
#            or the three binaries of --build-dir.  kovn's package list
#            (RUNTIME_PACKAGES) is computed from the binaries: the libraries
#            they need (readelf NEEDED, resolved by ldd) and the host's
#            packages holding them (dpkg -S), so an ASan build gets libasan8
#            and libubsan1 and the list cannot drift from what is linked.
#   save     `podman save --format docker-archive`, skipped while the archive
#            holds the same image ID and name (recorded in NAME.tar.id).
#   import   with --import: `ctr -n k8s.io images import` of each archive
#            whose image (by config digest) containerd does not hold yet;
#            then both must be listed complete and unpacked.
#
# Usage: scripts/build-kovn-images.sh [--build-dir DIR] [--tag TAG] [--no-build]
#                                     [--only NAME] [--import SOCK]
#          --build-dir DIR  the meson build dir of the binaries (default build)
#          --tag TAG        the images' tag (default dev)
#          --no-build       take the images podman holds under TAG as they are
#                           (built before, or tagged by hand): save, import
#          --only NAME      only image NAME (kovn or kovn-ovn)
#          --import SOCK    then import both into namespace k8s.io of the
#                           containerd on SOCK (a sandbox node's, from the
#                           host: S/net/NODE/root/run/containerd/containerd.sock)
#        KOVN_CACHE defaults to /var/cache/kovn.  Needs root, podman,
#        mmdebstrap (scripts/setup.sh installs them), ctr and jq for --import.
set -euo pipefail
export LC_ALL=C
umask 022

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGES_SRC=$TOP/deploy/images
KOVN_CACHE=${KOVN_CACHE:-/var/cache/kovn}
OUTDIR=$KOVN_CACHE/images

SUITE=bookworm
BASE_REF=docker.io/library/debian:bookworm-slim
# Bump when what goes into the base changes in a way its options do not show.
BASE_RECIPE=1
OVN_NAME=kovn-ovn
KOVN_NAME=kovn
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf 'build-kovn-images: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

usage() {
  sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

# --- timing --------------------------------------------------------------------

TIMES=()
step_start() { STEP=$1 STEP_T0=$EPOCHREALTIME; }
step_end() {   # [NOTE]
  local dt
  dt=$(awk -v a="$STEP_T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  TIMES+=("$(printf '%-12s %6s s  %s' "$STEP" "$dt" "${1:-}")")
  log "$STEP: ${dt} s${1:+ ($1)}"
}

image_id() { podman image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }

# --- the base: debian:bookworm-slim ------------------------------------------------

# The first URI of the host's apt sources ending in /NAME (debian,
# debian-security), deb822 or one-line; Debian's own mirror when none does.
apt_uri() {   # NAME
  local u
  u=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
      awk -v s="$1" 'tolower($1) == "types:" { deb = ($0 ~ /[[:space:]]deb([[:space:]]|$)/) }
                     tolower($1) == "uris:" && deb {
                       for (i = 2; i <= NF; i++) if ($i ~ ("/" s "/?$")) { print $i; exit } }') || true
  if [ -z "$u" ]; then
    u=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk -v s="$1" '$1 == "deb" {
                         for (i = 2; i <= NF; i++) if ($i ~ ("/" s "/?$")) { print $i; exit } }') || true
  fi
  printf '%s\n' "${u:-http://deb.debian.org/$1}"
}

# dpkg's path filters of Docker's slim images (debuerreotype's
# .slimify-excludes and .slimify-includes): in effect while the packages are
# unpacked (mmdebstrap applies them to the Essential packages it extracts
# itself in the "option=value" form only), and kept in the image for what is
# installed later.
dpkg_slim_cfg() {
  cat <<'EOF'
# As Docker's debian slim images (debuerreotype-slimify): no documentation,
# manual pages or translations; the copyright files stay.
path-exclude=/usr/share/doc/*
path-exclude=/usr/share/groff/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/linda/*
path-exclude=/usr/share/lintian/overrides/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/man/*
path-include=/usr/share/doc/*/copyright
path-include=/usr/share/doc/kde/HTML/C/*
path-include=/usr/share/gnome/help/*/C/*
path-include=/usr/share/locale/all_languages
path-include=/usr/share/locale/currency/*
path-include=/usr/share/locale/l10n/*
path-include=/usr/share/locale/languages
path-include=/usr/share/locale/locale.alias
path-include=/usr/share/omf/*/*-C.emf
# Image builds do not survive power loss anyway (docker-apt-speedup).
force-unsafe-io
EOF
}

# apt's settings of Docker's debian images (debuerreotype-minimizing-config).
apt_slim_cfg() {
  local clean='"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true";'
  cat <<EOF
// As Docker's debian images: no apt caches after an install (docker-clean),
// no translations, compressed package lists, aggressive autoremove.
DPkg::Post-Invoke { $clean };
APT::Update::Post-Invoke { $clean };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
Acquire::GzipIndexes "true";
Apt::AutoRemove::SuggestsImportant "false";
EOF
}

base_sources() {
  local deb sec
  deb=${KOVN_DEBIAN_MIRROR:-$(apt_uri debian)}
  sec=${KOVN_DEBIAN_SECURITY_MIRROR:-$(apt_uri debian-security)}
  printf '%s\n' "deb $deb $SUITE main" "deb $deb $SUITE-updates main" \
    "deb $sec $SUITE-security main"
}

# mmdebstrap's options besides the files and hooks of build_base.  Merged
# /usr as debootstrap (and so Docker's images) sets it up: symbolic links and
# usr-is-merged, not the usrmerge package, which brings perl along.
MMDEBSTRAP_OPTS=(--mode=root --variant=minbase --format=tar
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr --skip=chroot/policy-rc.d)

base_key() {
  printf 'recipe %s %s\n' "$BASE_RECIPE" \
    "$( { printf '%s\n' "${MMDEBSTRAP_OPTS[@]}"; dpkg_slim_cfg; apt_slim_cfg; } |
        sha256sum | cut -d' ' -f1)"
  printf 'mmdebstrap %s\n' "$(mmdebstrap --version | awk '{ print $NF }')"
  base_sources | sed 's/^/source /'
}

build_base() {
  local keyfile=$OUTDIR/debian-bookworm-slim.key key id work
  step_start base
  key=$(base_key)
  id=$(image_id "$BASE_REF")
  if [ -n "$id" ] && [ -f "$keyfile" ] &&
     [ "$(cat "$keyfile")" = "$(printf '%s\nimage %s' "$key" "$id")" ]; then
    step_end "cached, ${id:0:12}"
    return 0
  fi
  command -v mmdebstrap >/dev/null || die "mmdebstrap not found (scripts/setup.sh installs it)"
  log "making $BASE_REF with mmdebstrap from: $(base_sources | awk '{ print $2 }' | sort -u | tr '\n' ' ')"
  work=$(mktemp -d "$OUTDIR/.base.XXXXXX")
  WORKDIRS+=("$work")
  dpkg_slim_cfg >"$work/dpkg.cfg"
  apt_slim_cfg >"$work/apt.conf"
  local -a sources
  mapfile -t sources < <(base_sources)
  printf '#!/bin/sh\n# No service starts in a container image (as in Docker'"'"'s debian images).\nexit 101\n' \
    >"$work/policy-rc.d"
  chmod 0755 "$work/policy-rc.d"
  # policy-rc.d goes in once the Essential packages are extracted, instead of
  # mmdebstrap's own, which it removes at the end.  The runtime supplies
  # /etc/resolv.conf and /etc/hostname: the host's copies stay out.
  # shellcheck disable=SC2016 # mmdebstrap expands $1 (the root) in hooks
  if ! mmdebstrap "${MMDEBSTRAP_OPTS[@]}" \
      --dpkgopt="$work/dpkg.cfg" --aptopt="$work/apt.conf" \
      --extract-hook="copy-in $work/policy-rc.d /usr/sbin" \
      --customize-hook='rm -f "$1/etc/resolv.conf" "$1/etc/hostname"' \
      "$SUITE" "$work/rootfs.tar" "${sources[@]}" >"$work/mmdebstrap.log" 2>&1; then
    tail -n 30 "$work/mmdebstrap.log" >&2
    die "mmdebstrap failed"
  fi
  local old=$id
  podman import -q --change "ENV PATH=$IMAGE_PATH" --change 'CMD ["bash"]' \
    --message "kovn scripts/build-kovn-images.sh: mmdebstrap $SUITE minbase, slim, recipe $BASE_RECIPE" \
    "$work/rootfs.tar" "$BASE_REF" >/dev/null
  id=$(image_id "$BASE_REF")
  printf '%s\nimage %s' "$key" "$id" >"$keyfile.tmp"
  mv -f "$keyfile.tmp" "$keyfile"
  rm -rf "$work"
  [ -z "$old" ] || [ "$old" = "$id" ] || drop_untagged "$old"
  step_end "made, ${id:0:12}, $(image_size "$BASE_REF")"
}

# Remove image ID when nothing names it any more (a replaced build), ignoring
# failures: an image other images are built on stays.
drop_untagged() {
  local tags
  tags=$(podman image inspect --format '{{len .RepoTags}}' "$1" 2>/dev/null) || return 0
  if [ "$tags" = 0 ]; then podman rmi "$1" >/dev/null 2>&1 || true; fi
}

image_size() {
  podman image inspect --format '{{.Size}}' "$1" |
    awk '{ printf "%.0f MB", $1 / 1e6 }'
}

# --- kovn's package list -----------------------------------------------------------

# The Debian packages (of the host) holding the libraries BIN... need
# directly; apt brings what those need.
runtime_packages() {   # BIN...
  local bin out so path p line
  local -A paths=()
  for bin; do
    out=$(ldd "$bin" 2>&1) || die "ldd $bin: $out"
    case $out in *"not found"*) die "ldd $bin: a library is missing on this host: $out" ;; esac
    while read -r so; do
      # "libc.so.6 => /lib/.../libc.so.6 (0x...)", "/lib64/ld-linux-x86-64.so.2 (0x...)"
      path=$(awk -v so="$so" '$1 == so && $2 == "=>" { print $3; exit }
                              substr($1, length($1) - length(so)) == "/" so { print $1; exit }' <<<"$out")
      [ -n "$path" ] || die "$bin needs $so, which ldd does not resolve"
      paths[$path]=1
    done < <(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
  done
  # Merged /usr: dpkg knows a library under one of its names only.  One dpkg
  # call for all (each takes a fifth of a second).
  local -a cands=()
  local -A owner=()
  for path in "${!paths[@]}"; do
    cands+=("$path" "$(readlink -f "$path")" "/usr${path#/usr}" "${path#/usr}")
  done
  while IFS= read -r line; do
    # "libssl3:amd64: /usr/lib/x86_64-linux-gnu/libssl.so.3"; diversions
    # ("diversion by ...") and "pkg1, pkg2: path" take the first package.
    case $line in diversion*) continue ;; esac
    p=${line%%: *}
    p=${p%%,*}
    owner[${line#*: }]=${p%%:*}
  done < <(dpkg -S "${cands[@]}" 2>/dev/null || true)
  for path in "${!paths[@]}"; do
    line=
    for p in "$path" "$(readlink -f "$path")" "/usr${path#/usr}" "${path#/usr}"; do
      line=${owner[$p]:-}
      [ -z "$line" ] || break
    done
    [ -n "$line" ] || die "$path belongs to no Debian package (dpkg -S)"
    printf '%s\n' "$line"
  done | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# The default of ARG NAME in Containerfile FILE.
containerfile_arg() {   # FILE NAME
  sed -n "s/^ARG $2=\"\\(.*\\)\"\$/\\1/p" "$1"
}

# --- building ----------------------------------------------------------------------

# build NAME CONTAINERFILE CONTEXT [podman build options]: localhost/NAME:TAG.
build() {
  local name=$1 file=$2 ctx=$3 ref=localhost/$1:$TAG old id
  shift 3
  [ "${STEP:-}" = "$name" ] || step_start "$name"
  old=$(image_id "$ref")
  if ! podman build --network host --pull=never --layers -f "$file" -t "$ref" "$@" "$ctx" \
      >"$OUTDIR/$name.build.log" 2>&1; then
    tail -n 30 "$OUTDIR/$name.build.log" >&2
    die "podman build of $ref failed; see $OUTDIR/$name.build.log"
  fi
  id=$(image_id "$ref")
  [ -z "$old" ] || [ "$old" = "$id" ] || drop_untagged "$old"
  step_end "$ref ${id:0:12}, $(image_size "$ref")$([ "$old" = "$id" ] && echo ", unchanged")"
}

build_ovn() {
  local ctx f
  ctx=$(mktemp -d "$OUTDIR/.ctx-ovn.XXXXXX")
  WORKDIRS+=("$ctx")
  for f in start-ovn-central.sh start-ovs-ovn.sh; do
    [ -f "$IMAGES_SRC/$f" ] || die "$IMAGES_SRC/$f is missing"
    cp --preserve=mode,timestamps "$IMAGES_SRC/$f" "$ctx/"
  done
  build "$OVN_NAME" "$IMAGES_SRC/ovn.Containerfile" "$ctx"
  rm -rf "$ctx"
}

build_kovn() {
  local ctx pkgs def
  step_start "$KOVN_NAME"
  local -a bins=("$BUILD_DIR/controller/kovn-controller" "$BUILD_DIR/daemon/kovn-daemon"
                 "$BUILD_DIR/cni/kovn")
  for f in "${bins[@]}"; do
    [ -x "$f" ] || die "$f is missing: build it first (ninja -C $BUILD_DIR)"
  done
  pkgs=$(runtime_packages "${bins[@]}")
  def=$(containerfile_arg "$IMAGES_SRC/kovn.Containerfile" RUNTIME_PACKAGES)
  log "RUNTIME_PACKAGES=\"$pkgs\" (from $BUILD_DIR's binaries)"
  # The documented default is the list of a build without sanitizers.
  if [ "$(tr ' ' '\n' <<<"$pkgs" | grep -vxE 'libasan[0-9]+|libubsan[0-9]+' | tr '\n' ' ' | sed 's/ $//')" != "$def" ]; then
    log "note: kovn.Containerfile's default RUNTIME_PACKAGES (\"$def\") differs; update it"
  fi
  ctx=$(mktemp -d "$OUTDIR/.ctx-kovn.XXXXXX")
  WORKDIRS+=("$ctx")
  cp --preserve=mode,timestamps "${bins[@]}" "$ctx/"
  build "$KOVN_NAME" "$IMAGES_SRC/kovn.Containerfile" "$ctx" \
    --build-arg "RUNTIME_PACKAGES=$pkgs"
  rm -rf "$ctx"
}

# --- saving and importing --------------------------------------------------------------

save() {   # NAME
  local name=$1 ref=localhost/$1:$TAG tar=$OUTDIR/$1.tar rec
  step_start "save $name"
  rec="$(image_id "$ref") $ref"
  if [ -s "$tar" ] && [ "$(cat "$tar.id" 2>/dev/null)" = "$rec" ]; then
    step_end "unchanged, $(du -h "$tar" | cut -f1) $tar"
    return 0
  fi
  rm -f "$tar.id" "$tar.tmp"
  podman save -q --format docker-archive -o "$tar.tmp" "$ref"
  mv -f "$tar.tmp" "$tar"
  printf '%s\n' "$rec" >"$tar.id"
  step_end "$(du -h "$tar" | cut -f1) $tar"
}

# True when containerd (listing LISTED of `ctr images check`) holds REF with
# config ID, complete and unpacked: the archive need not be imported again.
imported() {   # LISTED REF ID
  local digest
  digest=$(awk -v r="$2" '$1 == r && $4 == "complete" && $NF == "true" { print $3; exit }' <<<"$1")
  [ -n "$digest" ] &&
    [ "$(ctr --address "$SOCK" -n k8s.io content get "$digest" 2>/dev/null | jq -r .config.digest 2>/dev/null)" = "sha256:$3" ]
}

import_images() {
  local n ref id listed new=() kept=()
  local -a names=($IMAGE_NAMES)
  step_start import
  command -v ctr >/dev/null || die "ctr not found (Debian's containerd package has it)"
  [ -S "$SOCK" ] || die "$SOCK is not a socket"
  listed=$(ctr --address "$SOCK" -n k8s.io images check)
  for n in "${names[@]}"; do
    ref=localhost/$n:$TAG
    read -r id _ <"$OUTDIR/$n.tar.id"
    if imported "$listed" "$ref" "$id"; then
      kept+=("$ref")
    else
      ctr --address "$SOCK" -n k8s.io images import "$OUTDIR/$n.tar" >/dev/null
      new+=("$ref")
    fi
  done
  # "REF TYPE DIGEST complete (N/N) SIZE/SIZE true": all content, unpacked.
  listed=$(ctr --address "$SOCK" -n k8s.io images check)
  for n in "${names[@]}"; do
    ref=localhost/$n:$TAG
    read -r id _ <"$OUTDIR/$n.tar.id"
    imported "$listed" "$ref" "$id" ||
      die "$ref (config sha256:${id:0:12}) is not listed, complete and unpacked in containerd at $SOCK after import"
  done
  step_end "into $SOCK: ${new[*]:+imported ${new[*]}}${kept[*]:+${new[*]:+; }already there ${kept[*]}}"
}

# --- main ----------------------------------------------------------------------------

BUILD_DIR=$TOP/build
TAG=dev
SOCK=
NO_BUILD=0
IMAGE_NAMES="$OVN_NAME $KOVN_NAME"
while [ $# -gt 0 ]; do
  case $1 in
    --no-build) NO_BUILD=1; shift ;;
    --only)
      [ $# -ge 2 ] && [[ " $IMAGE_NAMES " == *" $2 "* ]] || usage
      IMAGE_NAMES=$2; shift 2 ;;
    --build-dir) [ $# -ge 2 ] || usage; BUILD_DIR=$2; shift 2 ;;
    --tag) [ $# -ge 2 ] || usage; TAG=$2; shift 2 ;;
    --import) [ $# -ge 2 ] || usage; SOCK=$2; shift 2 ;;
    -h | --help) usage ;;
    *) usage ;;
  esac
done
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$PWD/$BUILD_DIR ;; esac
command -v podman >/dev/null || die "podman not found (scripts/setup.sh installs it)"

mkdir -p "$OUTDIR"
WORKDIRS=()
trap 'rm -rf "${WORKDIRS[@]}"' EXIT
trap 'exit 1' INT TERM HUP # through the EXIT trap
# One build at a time (sandbox nodes may ask together).
exec 9>"$OUTDIR/.build-kovn-images.lock"
flock 9

T0=$EPOCHREALTIME
if [ "$NO_BUILD" = 0 ]; then
  build_base
  [[ " $IMAGE_NAMES " != *" $OVN_NAME "* ]] || build_ovn
  [[ " $IMAGE_NAMES " != *" $KOVN_NAME "* ]] || build_kovn
fi
for name in $IMAGE_NAMES; do
  podman image exists "localhost/$name:$TAG" || die "podman has no localhost/$name:$TAG"
  save "$name"
done
exec 9>&-
[ -z "$SOCK" ] || import_images

log "done in $(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s:"
printf '  %s\n' "${TIMES[@]}" >&2
