#!/usr/bin/env bash
# Records the host kernel's answers to the user-memory-fault cases of
# uaccess_probe.c on tmpfs, XFS and ext4, into fixtures/uaccess.jsonl beside
# this script. Run as root:
#
#   sudo tests/probes/run_uaccess_probes.sh
#
# It builds the probe with gcc into a temporary directory, mounts a fresh
# tmpfs, a 512 MiB XFS image and a 256 MiB ext4 image (sparse files,
# mount -o loop), runs the probe in each, and always unmounts, detaches the
# loop devices and removes the images on exit. A filesystem that cannot be
# made or mounted is skipped with a message on stderr. The fixture is only
# replaced when at least one filesystem was probed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="$here/fixtures/uaccess.jsonl"
export PATH="/usr/sbin:/sbin:$PATH"

if [[ $(id -u) -ne 0 ]]; then
  echo "run_uaccess_probes: must run as root (mount, losetup)" >&2
  exit 1
fi

need=()
command -v gcc >/dev/null || need+=(gcc)
command -v mkfs.xfs >/dev/null || need+=(xfsprogs)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
if ((${#need[@]})); then
  echo "run_uaccess_probes: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

work=$(mktemp -d /tmp/uaccess-probe.XXXXXX)
mounts=()
images=()

cleanup() {
  set +e
  local m img
  for m in "${mounts[@]}"; do
    mountpoint -q "$m" && umount "$m"
  done
  # mount -o loop sets autoclear; detach anything still bound to an image.
  for img in "${images[@]}"; do
    losetup -j "$img" -O NAME -n | xargs -r -n1 losetup -d
    rm -f "$img"
  done
  rm -rf "$work"
}
trap cleanup EXIT

gcc -O1 -Wall -o "$work/uaccess_probe" "$here/uaccess_probe.c"

results="$work/results.jsonl"
printf '{"kernel":"%s","generated_by":"tests/probes/run_uaccess_probes.sh"}\n' "$(uname -r)" >"$results"
probed=0

# probe FSNAME MOUNTPOINT: runs the probe there, appending to the results.
probe() {
  local fs=$1 dir=$2
  if "$work/uaccess_probe" "$dir" "$fs" >"$work/$fs.jsonl"; then
    cat "$work/$fs.jsonl" >>"$results"
    probed=$((probed + 1))
    echo "run_uaccess_probes: $fs: $(wc -l <"$work/$fs.jsonl") cases" >&2
  else
    echo "run_uaccess_probes: $fs: the probe failed; skipping $fs" >&2
  fi
}

# 1. tmpfs
dir="$work/tmpfs"
mkdir "$dir"
if mount -t tmpfs -o size=64m tmpfs "$dir"; then
  mounts+=("$dir")
  probe tmpfs "$dir"
else
  echo "run_uaccess_probes: cannot mount tmpfs; skipping tmpfs" >&2
fi

# 2. and 3. loop-mounted images: FSNAME SIZE MKFS...
loop_fs() {
  local fs=$1 size=$2
  shift 2
  local img="$work/$fs.img" dir="$work/$fs"
  mkdir "$dir"
  images+=("$img")
  if ! truncate -s "$size" "$img" || ! "$@" "$img" >&2; then
    echo "run_uaccess_probes: cannot make the $fs image; skipping $fs" >&2
    return
  fi
  if ! mount -o loop "$img" "$dir"; then
    echo "run_uaccess_probes: cannot mount the $fs image; skipping $fs" >&2
    return
  fi
  mounts+=("$dir")
  probe "$fs" "$dir"
}

loop_fs xfs 512M mkfs.xfs -f -q
loop_fs ext4 256M mkfs.ext4 -q -F

if ((probed == 0)); then
  echo "run_uaccess_probes: no filesystem was probed; $out left as it was" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
cp "$results" "$out"
echo "run_uaccess_probes: wrote $out ($probed filesystems)" >&2
