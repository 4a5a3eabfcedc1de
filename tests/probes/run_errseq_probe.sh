#!/usr/bin/env bash
# Records how the host kernel reports real writeback errors per open file
# (errseq_t) on XFS and ext4, into fixtures/errseq.jsonl beside this script.
# Run as root:
#
#   sudo tests/probes/run_errseq_probe.sh
#
# dm-error would be the usual failing device; where device-mapper is
# missing (this host's kernel has none), the probe serves its own: a FUSE
# filesystem holding one image file in memory (errseq_probe serve), made a
# loop device, whose writes fail with EIO over the byte ranges the probe
# arms (see errseq_probe.c). For each of xfs and ext4 the script starts the
# server, attaches the loop device, makes the filesystem (no discard, no lazy
# init, so nothing is written behind the probe's back), and runs every case
# on a fresh mount (errseq_probe run). On exit, whatever happened, it
# unmounts the filesystem, detaches the loop device, unmounts the FUSE
# filesystem, stops the server and removes its files. The fixture is
# replaced only when both filesystems were probed; its first line names the
# kernel and this command.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src="$here/errseq_probe.c"
out="$here/fixtures/errseq.jsonl"
export PATH="/usr/sbin:/sbin:$PATH"

if [[ $(id -u) -ne 0 ]]; then
  echo "run_errseq_probe: must run as root (mount, losetup, /dev/fuse)" >&2
  exit 1
fi
[[ -c /dev/fuse ]] || { echo "run_errseq_probe: no /dev/fuse" >&2; exit 1; }

need=()
command -v gcc >/dev/null || need+=(gcc)
command -v mkfs.xfs >/dev/null || need+=(xfsprogs)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
command -v losetup >/dev/null || need+=(mount)
if ((${#need[@]})); then
  echo "run_errseq_probe: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

work=$(mktemp -d /tmp/errseq-probe.XXXXXX)
server=""
runner=""
loopdev=""
fusedir=""
mnt=""

# teardown undoes one filesystem's setup, in reverse order; safe to call
# twice and with any part missing.
teardown() {
  local e=$-
  set +e
  if [[ -n $runner ]]; then
    kill "$runner" 2>/dev/null
    wait "$runner" 2>/dev/null
    runner=""
  fi
  if [[ -n $mnt ]] && mountpoint -q "$mnt"; then
    umount "$mnt" || umount -l "$mnt"
  fi
  if [[ -n $loopdev ]]; then
    losetup -d "$loopdev"
    loopdev=""
  fi
  if [[ -n $fusedir ]] && mountpoint -q "$fusedir"; then
    umount "$fusedir" || umount -l "$fusedir"
  fi
  if [[ -n $server ]]; then
    kill "$server" 2>/dev/null
    wait "$server" 2>/dev/null
    server=""
  fi
  [[ $e == *e* ]] && set -e
  return 0
}

cleanup() {
  set +e
  teardown
  rm -rf "$work"
}
trap cleanup EXIT

gcc -O1 -Wall -o "$work/probe" "$src"

results="$work/results.jsonl"
printf '{"kernel":"%s","generated_by":"tests/probes/run_errseq_probe.sh"}\n' "$(uname -r)" >"$results"
probed=0

probe_fs() {
  local fs=$1 size=$2
  shift 2
  fusedir="$work/fuse-$fs"
  mnt="$work/mnt-$fs"
  mkdir "$fusedir" "$mnt"
  "$work/probe" serve "$fusedir" "$size" "$work/ctl-$fs" &
  server=$!
  for _ in $(seq 100); do
    mountpoint -q "$fusedir" && break
    sleep 0.1
  done
  if ! mountpoint -q "$fusedir"; then
    echo "run_errseq_probe: the FUSE server did not mount; skipping $fs" >&2
    teardown
    return
  fi
  loopdev=$(losetup --find --show "$fusedir/img")
  if ! "$@" "$loopdev" >&2; then
    echo "run_errseq_probe: cannot make $fs on $loopdev; skipping $fs" >&2
    teardown
    return
  fi
  # In the background, so that a signal reaches the trap at once and the
  # trap can stop the run before it unmounts what the run is using.
  "$work/probe" run "$loopdev" "$mnt" "$fs" "$work/ctl-$fs" >"$work/$fs.jsonl" &
  runner=$!
  local rc=0
  wait "$runner" || rc=$?
  runner=""
  if ((rc == 0)); then
    cat "$work/$fs.jsonl" >>"$results"
    probed=$((probed + 1))
    echo "run_errseq_probe: $fs: $(wc -l <"$work/$fs.jsonl") cases" >&2
  else
    echo "run_errseq_probe: $fs: the probe failed" >&2
  fi
  teardown
}

probe_fs xfs 536870912 mkfs.xfs -f -q -K
probe_fs ext4 268435456 mkfs.ext4 -q -F -E nodiscard,lazy_itable_init=0,lazy_journal_init=0

if ((probed != 2)); then
  echo "run_errseq_probe: only $probed of 2 filesystems probed; $out left as it was" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
cp "$results" "$out"
echo "run_errseq_probe: wrote $out" >&2
