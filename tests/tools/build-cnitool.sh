#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# Builds cnitool.go into OUT offline, against Debian's libcni
# (golang-github-appc-cni-dev), with a Go cache under OUT's folder.
#   build-cnitool.sh SOURCE OUT
set -euo pipefail
src=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
work=$(dirname "$out")/cnitool-go
mkdir -p "$work"
cd "$work"
HOME=$work GOCACHE=$work/cache GO111MODULE=off GOPATH=/usr/share/gocode \
  GOPROXY=off GOFLAGS= go build -o "$out" "$src"
