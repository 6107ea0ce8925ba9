#!/usr/bin/env bash
# Median wall time of `hull run --rm busybox true` beside a bare QEMU boot-to-poweroff of
# the same kernel and initramfs, and their ratio, measured in one run.
#
#   bench/boot.sh [RUNS]      (default 5; needs scripts/setup.sh to have run)
#
# The bare boot uses the same accelerator, memory and kernel arguments, with
# `hull.selftest=poweroff` so the agent powers off as soon as it is up instead of waiting
# for the host: it is the floor any VM-per-container design pays on this host.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
home=${HULL_HOME:-/var/lib/hull}
hull=.build/debug/hull
[ -x "$hull" ] || { echo "bench: $hull missing: run scripts/setup.sh" >&2; exit 1; }

accel=tcg
if grep -qE 'vmx|svm' /proc/cpuinfo && [ -w /dev/kvm ]; then accel=kvm; fi
accel=${HULL_ACCEL:-$accel}
# The same CPU model hull gives its guests: `max` under TCG (RDRAND), the host's under KVM.
cpu="-cpu max"; [ "$accel" = kvm ] && cpu="-cpu host"

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

bare=()
for _ in $(seq "$runs"); do
  t0=$(now)
  qemu-system-x86_64 -accel "$accel" $cpu -m 256 -smp 1 -nodefaults -no-user-config -display none \
    -no-reboot -serial null -kernel "$home/kernel/vmlinuz" -initrd "$home/guest/initramfs.cpio.gz" \
    -append "console=ttyS0 quiet panic=-1 i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd tsc=reliable no_timer_check hull.selftest=poweroff" \
    >/dev/null
  t1=$(now)
  bare+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')")
done

hullt=()
for _ in $(seq "$runs"); do
  t0=$(now)
  "$hull" run --rm busybox true
  t1=$(now)
  hullt+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')")
done

mb=$(printf '%s\n' "${bare[@]}" | median)
mh=$(printf '%s\n' "${hullt[@]}" | median)
printf 'accelerator: %s, runs: %s\n' "$accel" "$runs"
printf '%-44s median %6.3f s  (runs: %s)\n' "bare qemu boot-to-poweroff (same kernel+initrd)" "$mb" "$(printf '%.2f ' "${bare[@]}")"
printf '%-44s median %6.3f s  (runs: %s)\n' "hull run --rm busybox true" "$mh" "$(printf '%.2f ' "${hullt[@]}")"
printf '%-44s %6.2fx\n' "ratio hull / bare" "$(awk -v a="$mh" -v b="$mb" 'BEGIN{print a/b}')"
