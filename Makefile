# kovn — the commands a person types.  See README.md.
#
#   make          install what kovn needs (Debian packages, cached OVS library
#                 and kube-apiserver) and build kovn
#   make check    all tests: unit, integration and end to end, built with AddressSanitizer
#                 and UndefinedBehaviorSanitizer, against real OVN, a real
#                 kube-apiserver and real kubelets; then the upstream
#                 [sig-network] e2e tests (make conformance)
#   make demo     the main job: a local 3-node Kubernetes cluster on kovn
#                 (real control plane, containerd and kubelets; nodes as
#                 network + mount namespaces, started with no network
#                 plugin), kovn installed on it by deploy/install.sh from its
#                 images, with pods on different nodes talking; make demo-status and
#                 make demo-down show and remove it (sandbox/kovn-sandbox.sh)
#   make bench    the benchmarks (release build), kovn-controller beside the
#                 previous one (bench/BASELINE, built once by bench/baseline.sh);
#                 figures go to bench/RESULTS.md

BUILD ?= build
ASAN_BUILD ?= build-asan
RELEASE_BUILD ?= build-release
MESON_TEST = meson test --print-errorlogs --num-processes 1 --logbase $@

export ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS ?= halt_on_error=1:print_stacktrace=1

.PHONY: all setup build check check-unit check-ovn check-k8s check-net check-controller check-cni check-node check-daemon check-dns check-e2e demo demo-status demo-down bench clean

all: build

setup:
	scripts/setup.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: setup $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false

check: build $(ASAN_BUILD)/build.ninja $(RELEASE_BUILD)/build.ninja
	ninja -C $(RELEASE_BUILD)       # -O3 finds warnings -O2 does not
	ninja -C $(ASAN_BUILD)
	rm -f $(ASAN_BUILD)/meson-logs/check-*.json
	$(MAKE) check-unit check-ovn check-k8s check-net check-controller check-cni \
		check-node check-daemon check-dns check-e2e check-conformance
	tests/summary.sh $(ASAN_BUILD)

check-unit:
	$(MESON_TEST) -C $(ASAN_BUILD) --suite unit

check-ovn:
	$(MESON_TEST) -C $(ASAN_BUILD) --suite ovn

check-k8s:
	tests/integration/with-k8s.sh $(MESON_TEST) -C $(ASAN_BUILD) --suite k8s

check-net:
	$(MESON_TEST) -C $(ASAN_BUILD) --suite net

check-cni:
	$(MESON_TEST) -C $(ASAN_BUILD) --suite cni

check-controller:
	tests/integration/with-k8s.sh $(MESON_TEST) -C $(ASAN_BUILD) --suite controller

check-node:
	$(MESON_TEST) -C $(ASAN_BUILD) --suite node

check-daemon:
	tests/integration/with-k8s.sh $(MESON_TEST) -C $(ASAN_BUILD) --suite daemon

check-dns:
	tests/integration/with-k8s.sh $(MESON_TEST) -C $(ASAN_BUILD) --suite dns

# Starts its own sandbox (apiserver included) in a folder of its own.
check-e2e:
	$(MESON_TEST) -C $(ASAN_BUILD) --suite e2e

# The upstream [sig-network] e2e tests (e2e.test) on a fresh sandbox of their
# own: tests/conformance/run.sh, docs/conformance.md.  Results (table, merged
# JUnit, logs of failed tests) in $(BUILD)/conformance.  Fails when a test
# fails that tests/conformance/expected-failures.txt does not list, or when
# a listed test passes.
.PHONY: conformance check-conformance
conformance: build
	KOVN_BUILD=$(BUILD) tests/conformance/run.sh --out $(BUILD)/conformance

# The same inside make check, on the sanitizer build.
check-conformance:
	KOVN_BUILD=$(ASAN_BUILD) tests/conformance/run.sh --out $(ASAN_BUILD)/conformance

# The sandbox: state in $(KOVN_SANDBOX_DIR) (default /var/run/kovn-sandbox).
demo: build
	KOVN_BUILD=$(BUILD) sandbox/kovn-sandbox.sh up

demo-status:
	sandbox/kovn-sandbox.sh status

demo-down:
	sandbox/kovn-sandbox.sh down

$(RELEASE_BUILD)/build.ninja:
	meson setup $(RELEASE_BUILD) --buildtype=release

bench: setup $(RELEASE_BUILD)/build.ninja
	ninja -C $(RELEASE_BUILD)
	bench/run.sh $(RELEASE_BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(RELEASE_BUILD)
