#!/usr/bin/env bash
# Makes this host ready to run Hull guests. Idempotent: a second run changes nothing and
# takes a few seconds.
#
#   scripts/setup.sh            (as root)
#
#   1. Debian packages (installed only when missing)
#   2. /dev/kvm permissions, as udev would set them
#   3. libvirt's daemons, when no service manager runs them
#   4. the guest, under $HULL_HOME: kernel (kernels/fetch-kernel.sh), built-in busybox
#      rootfs, agent (guest-agent/build-agent.sh), the isolation probe (probe/build-probe.sh)
#      and initramfs (guest-agent/build-*.sh)
#   5. the `hull` and `hulld` binaries (swift build --product hull / hulld)
#
# Environment:
#   HULL_HOME            where guest files live (default /var/lib/hull)
#   HULL_SKIP_BUILD=1    skip step 5 (the tests build for themselves)
#   HULL_AGENT=PATH      use this prebuilt static agent instead of building one
#   HULL_KERNEL_PACKAGE  pin the guest kernel package (see kernels/fetch-kernel.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
export HULL_LOG_PREFIX=setup
. scripts/lib.sh
started=$(hull_now)

[ "$(id -u)" -eq 0 ] || hull_die "run as root: setup installs packages, starts libvirtd and writes $HULL_HOME"
hull_lock setup

# --- 1. Debian packages ------------------------------------------------------------
packages=(
  libvirt-daemon-system libvirt-clients libvirt-dev pkg-config   # libvirt + the C API for CLibvirt
  qemu-system-x86 qemu-utils                                     # the guests, qcow2 overlays
  e2fsprogs                                                      # mkfs.ext4 -d for root disks
  busybox-static                                                 # guest userland, offline
  umoci skopeo                                                   # image layers (umoci unpack); test images
  docker-registry apache2-utils openssl                          # registry tests: server, htpasswd, throwaway CA
  cpio gzip kmod zstd xz-utils                                   # initramfs, kernel modules
  libsqlite3-dev                                                 # hulld's state (GRDB)
  runc runsc                                                     # --isolation process / gvisor
  gcc libc6-dev                                                  # the static probe (probe/)
  librsvg2-bin                                                   # hull bench: SVG chart → PNG
  python3 python3-yaml                                           # tests: docs/openapi.yaml checks
  tini                                                           # a subreaper for libvirtd without a service manager
  socat                                                          # tests: schemathesis reaches hulld's unix socket over loopback TCP
  iproute2 nftables slirp4netns                                  # container networks: hub netns, its ruleset, its uplink
  curl                                                           # tests: published ports answer on the host
)
missing=$(hull_missing_packages "${packages[@]}" | tr '\n' ' ')
if [ -z "$missing" ]; then
  hull_say "Debian packages present"
else
  hull_install_packages "${packages[@]}"
fi

# The OpenAPI validator the API tests use and schemathesis, the API fuzzer that
# scripts/api-fuzz.sh runs against hulld (PyPI, pinned; Debian 12 packages neither).
python_tools=(openapi-spec-validator==0.9.0 pyyaml==6.0.3 schemathesis==4.32.5)
if python3 - "${python_tools[@]}" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
for pin in sys.argv[1:]:
    name, wanted = pin.split("==")
    if version(name) != wanted: sys.exit(1)
PY
then
  hull_say "python tools present (${python_tools[*]})"
else
  hull_say "installing ${python_tools[*]} from PyPI"
  python3 -m pip install --quiet "${python_tools[@]}" 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages "${python_tools[@]}" \
    || hull_die "could not install ${python_tools[*]} (python3 -m pip install ${python_tools[*]})"
fi

# --- 2. /dev/kvm ---------------------------------------------------------------------
# Debian's udev rule makes /dev/kvm 0660 root:kvm, and libvirt-qemu is in group kvm.
# Without udev (containers, minimal VMs) it stays root-only. MEASURED: libvirt then finds
# /dev/kvm inaccessible to the libvirt-qemu user, marks its QEMU capability cache invalid
# on every call and re-probes QEMU ~13 times, so each virDomainCreateXML takes ~52 s
# instead of 0.4 s, even for TCG guests. Done before libvirtd starts so that its first
# probe is already the good one.
if [ -e /dev/kvm ]; then
  getent group kvm >/dev/null || groupadd --system kvm
  kvm_group=$(stat -c %G /dev/kvm)
  kvm_mode=$(stat -c %a /dev/kvm)
  if [ "$kvm_group" = kvm ] && [ $((8#$kvm_mode & 8#060)) -eq $((8#060)) ]; then
    hull_say "/dev/kvm ok (mode $kvm_mode, group kvm)"
  else
    chgrp kvm /dev/kvm
    chmod g+rw /dev/kvm
    hull_say "/dev/kvm: was mode $kvm_mode group $kvm_group, now mode $(stat -c %a /dev/kvm) group kvm (no udev did it)"
  fi
  if id libvirt-qemu >/dev/null 2>&1 && ! id -nG libvirt-qemu | tr ' ' '\n' | grep -qx kvm; then
    hull_warn "user libvirt-qemu is not in group kvm: usermod -aG kvm libvirt-qemu, then restart libvirtd"
  fi
else
  hull_say "no /dev/kvm: guests run under TCG emulation"
fi

# --- 3. libvirt ------------------------------------------------------------------------
libvirt_answers() { timeout 10 virsh -c qemu:///system version >/dev/null 2>&1; }
if libvirt_answers; then
  hull_say "libvirtd answers on qemu:///system"
else
  daemon_log=$(mktemp)
  if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
    systemctl start libvirtd >>"$daemon_log" 2>&1 || true
    how="systemctl start libvirtd"
  else
    # No service manager: run the daemons ourselves, as `systemctl start` would.
    hull_process_running virtlogd || hull_spawn_daemon "$daemon_log" virtlogd -d || true
    # libvirtd in the foreground under `tini -s`, a subreaper: libvirt daemonizes each QEMU,
    # which then belongs to the nearest subreaper. Without one it is PID 1's, and PID 1
    # here reaps orphans only every ~2 s while libvirt waits for the reap before a
    # destroyed guest counts as gone: ~1.2 s per guest teardown (docs/bench.md).
    hull_process_running libvirtd || hull_spawn_daemon "$daemon_log" setsid -f tini -s -- libvirtd || true
    how="virtlogd -d; setsid -f tini -s -- libvirtd"
  fi
  deadline=$((SECONDS + 30))
  until libvirt_answers; do
    if [ $SECONDS -ge $deadline ]; then
      cat "$daemon_log" >&2
      rm -f "$daemon_log"
      hull_die "libvirtd did not answer on qemu:///system within 30 s after \`$how\` (see /var/log/libvirt/)"
    fi
    sleep 0.2
  done
  rm -f "$daemon_log"
  hull_say "started libvirt ($how)"
fi

# --- 4. the guest ------------------------------------------------------------------------
# Who may open what under $HULL_HOME (docs/security.md): root, and QEMU's group
# (libvirt-qemu) only on the way to the guest files; hulld repairs the rest at start.
qemu_group=$(getent group libvirt-qemu >/dev/null && echo libvirt-qemu || echo root)
install -d -m 0710 -g "$qemu_group" "$HULL_HOME"
chgrp "$qemu_group" "$HULL_HOME" && chmod 0710 "$HULL_HOME"
# QEMU runs as libvirt-qemu and must reach $HULL_HOME through every parent directory.
dir=$(dirname "$HULL_HOME")   # $HULL_HOME itself is 0710 with QEMU's group
while [ "$dir" != / ]; do
  if [ "$(( 8#$(stat -c %a "$dir") & 1 ))" -eq 0 ]; then
    hull_warn "$dir is not searchable by other users: QEMU (user libvirt-qemu) cannot read the guest files under $HULL_HOME; chmod o+x $dir or choose another HULL_HOME"
  fi
  dir=$(dirname "$dir")
done

kernels/fetch-kernel.sh
guest-agent/build-busybox-rootfs.sh

agent=$HULL_HOME/guest/hull-agent
install -d -m 0755 "$HULL_HOME/guest"
if [ -n "${HULL_AGENT:-}" ]; then
  [ -f "$HULL_AGENT" ] || hull_die "HULL_AGENT=$HULL_AGENT: no such file"
  if cmp -s "$HULL_AGENT" "$agent"; then
    hull_say "agent: $HULL_AGENT already in place"
  else
    install -m 0755 "$HULL_AGENT" "$agent.tmp"
    mv -f "$agent.tmp" "$agent"
    hull_say "agent: copied $HULL_AGENT"
  fi
elif [ -f guest-agent/build-agent.sh ]; then
  bash guest-agent/build-agent.sh "$agent"
else
  hull_die "guest-agent/build-agent.sh is missing, so the guest agent cannot be built (it writes $agent); set HULL_AGENT=/path/to/static/hull-agent to use a prebuilt one"
fi

probe/build-probe.sh
guest-agent/build-initramfs.sh --agent "$agent" --probe "$HULL_HOME/probe/hull-probe"
# The guest files QEMU opens: its group reads them, nobody else (hull and hulld keep
# them so too; see HomeAccess).
chgrp "$qemu_group" "$HULL_HOME" && chmod 0710 "$HULL_HOME"
for d in kernel guest; do chgrp "$qemu_group" "$HULL_HOME/$d" && chmod 0710 "$HULL_HOME/$d"; done
for f in kernel/vmlinuz guest/initramfs.cpio.gz; do chgrp "$qemu_group" "$HULL_HOME/$f" && chmod 0640 "$HULL_HOME/$f"; done
# The rest is root's alone (the built-in image's rootfs keeps its own modes, behind 0700).
chmod -R go-rwx "$HULL_HOME/cache" "$HULL_HOME/kernel/modules"
chmod go-rwx "$HULL_HOME/images" "$HULL_HOME"/kernel/{config,version} "$HULL_HOME"/guest/{version,hull-agent} 2>/dev/null || true

# --- 5. hull ---------------------------------------------------------------------------
if [ "${HULL_SKIP_BUILD:-}" = 1 ]; then
  hull_say "skipping swift build (HULL_SKIP_BUILD=1)"
else
  command -v swift >/dev/null \
    || hull_die "swift not found: install a Swift 6 toolchain (https://www.swift.org/install/linux/; Debian 12 has none) and put it on PATH"
  build_started=$(hull_now)
  hull_say_begin "swift build --product hull, hulld"
  hull_run_logged "swift build --product hull" swift build --product hull
  hull_run_logged "swift build --product hulld" swift build --product hulld
  hull_say_end "done in $(hull_since "$build_started") (.build/debug/hull, .build/debug/hulld)"
fi

hull_say "ready in $(hull_since "$started") (HULL_HOME=$HULL_HOME)"
