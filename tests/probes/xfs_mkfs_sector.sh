#!/usr/bin/env bash
# Records which block sizes this host's mkfs.xfs accepts on a device whose
# logical sector size is 512 or 4096 bytes (a loop device made with
# `losetup --sector-size`), into fixtures/xfs_mkfs_sector.jsonl beside this
# script: one line per (sector size, options) with mkfs.xfs -N's exit code,
# its first line of complaint and the sectsz it reports. Run as root:
#
#   sudo tests/probes/xfs_mkfs_sector.sh
#
# The loop devices are detached and the image removed on exit, whatever
# happened.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="$here/fixtures/xfs_mkfs_sector.jsonl"
export PATH="/usr/sbin:/sbin:$PATH"

if [[ $(id -u) -ne 0 ]]; then
  echo "xfs_mkfs_sector: must run as root (losetup)" >&2
  exit 1
fi
command -v mkfs.xfs >/dev/null && command -v jq >/dev/null || {
  echo "xfs_mkfs_sector: needs xfsprogs and jq" >&2
  exit 1
}

work=$(mktemp -d /tmp/xfs_mkfs_sector.XXXXXX)
img="$work/xfs.img"
cleanup() {
  set +e
  losetup -j "$img" -O NAME -n | xargs -r -n1 losetup -d
  rm -rf "$work"
}
trap cleanup EXIT
truncate -s 512M "$img"

tmp="$work/out.jsonl"
jq -cn --arg k "$(uname -r)" --arg x "$(mkfs.xfs -V | awk '{print $3}')" \
  '{kernel: $k, xfsprogs: $x, generated_by: "tests/probes/xfs_mkfs_sector.sh"}' > "$tmp"
for sect in 512 4096; do
  dev=$(losetup --find --show --sector-size "$sect" "$img")
  for opts in "" "-b size=1024" "-b size=2048" "-b size=4096" "-b size=65536"; do
    set +e
    # shellcheck disable=SC2086
    report=$(mkfs.xfs -N -f $opts "$dev" 2>"$work/err")
    rc=$?
    set -e
    sectsz=$(sed -n 's/.*sectsz=\([0-9]*\).*/\1/p' <<<"$report" | head -1)
    jq -cn --argjson sect "$sect" --arg opts "$opts" --argjson rc "$rc" \
      --arg err "$(head -1 "$work/err")" --arg sectsz "${sectsz:-}" \
      '{sector_size: $sect, size_bytes: 536870912, options: $opts, rc: $rc, error: $err,
        sectsz: (if $sectsz == "" then null else ($sectsz | tonumber) end)}' >> "$tmp"
  done
  losetup -d "$dev"
done
mv "$tmp" "$out"
echo "xfs_mkfs_sector: wrote $out" >&2
