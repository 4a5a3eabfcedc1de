#!/usr/bin/env bash
# Records the host kernel's answers to one probe on tmpfs, XFS and ext4, into
# fixtures/NAME.jsonl beside this script. Run as root:
#
#   sudo tests/probes/run_probe.sh NAME      # builds NAME_probe.c
#
# The probe is run as `NAME_probe MOUNTPOINT FSNAME` and prints one JSON line
# per case. This script builds it with gcc into a temporary directory, mounts
# a fresh tmpfs (size=64m), a 512 MiB XFS image (mkfs.xfs -f -q) and a 256 MiB
# ext4 image (mkfs.ext4 -q -F), both sparse and mounted with -o loop, runs the
# probe in each, and always unmounts, detaches the loop devices and removes the
# images on exit. A filesystem that cannot be made or mounted is skipped with a
# message on stderr. The fixture is replaced only when every filesystem was
# probed, and its first line names the kernel and this command.
#
# A probe can ask for more, with lines in its source of the form
#   // run_probe.sh: tmpfs OPTIONS          mount the tmpfs with -o OPTIONS
#                                           instead of size=64m
#   // run_probe.sh: fs NAME SIZE MKFS...   one more column NAME after ext4: a
#                                           SIZE sparse image made with the
#                                           command MKFS... IMAGE, loop-mounted
# (" * run_probe.sh: ..." inside a block comment works too).
set -euo pipefail

if (($# != 1)); then
  echo "usage: run_probe.sh NAME   (builds tests/probes/NAME_probe.c)" >&2
  exit 2
fi
name=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src="$here/${name}_probe.c"
out="$here/fixtures/$name.jsonl"
export PATH="/usr/sbin:/sbin:$PATH"

[[ -f $src ]] || { echo "run_probe: no $src" >&2; exit 2; }

tmpfs_opts="size=64m"
extra_fs=()
while IFS= read -r line; do
  case $line in
    "tmpfs "*) tmpfs_opts=${line#tmpfs } ;;
    "fs "*)
      read -r efs _ <<<"${line#fs }"
      if [[ ! $efs =~ ^[a-z0-9_]+$ ]] || [[ $efs == tmpfs || $efs == xfs || $efs == ext4 ]]; then
        echo "run_probe: bad column name in \"run_probe.sh: $line\"" >&2
        exit 2
      fi
      extra_fs+=("${line#fs }") ;;
    *) echo "run_probe: unknown directive \"run_probe.sh: $line\"" >&2; exit 2 ;;
  esac
done < <(sed -n 's,^[[:space:]]*\(//\|\*\)[[:space:]]*run_probe\.sh:[[:space:]]*,,p' "$src")
if [[ $(id -u) -ne 0 ]]; then
  echo "run_probe: must run as root (mount, losetup)" >&2
  exit 1
fi

need=()
command -v gcc >/dev/null || need+=(gcc)
command -v mkfs.xfs >/dev/null || need+=(xfsprogs)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
command -v chattr >/dev/null || need+=(e2fsprogs)
if ((${#need[@]})); then
  echo "run_probe: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

work=$(mktemp -d "/tmp/$name-probe.XXXXXX")
mounts=()
images=()

cleanup() {
  set +e
  local m img
  for m in "${mounts[@]}"; do
    mountpoint -q "$m" && umount "$m"
  done
  for img in "${images[@]}"; do
    losetup -j "$img" -O NAME -n | xargs -r -n1 losetup -d
    rm -f "$img"
  done
  rm -rf "$work"
}
trap cleanup EXIT

gcc -O1 -Wall -o "$work/probe" "$src"

results="$work/results.jsonl"
printf '{"kernel":"%s","generated_by":"tests/probes/run_probe.sh %s"}\n' "$(uname -r)" "$name" >"$results"
probed=0

probe() {
  local fs=$1 dir=$2
  if "$work/probe" "$dir" "$fs" >"$work/$fs.jsonl"; then
    cat "$work/$fs.jsonl" >>"$results"
    probed=$((probed + 1))
    echo "run_probe: $name on $fs: $(wc -l <"$work/$fs.jsonl") cases" >&2
  else
    echo "run_probe: $name on $fs: the probe failed" >&2
  fi
}

dir="$work/tmpfs"
mkdir "$dir"
if mount -t tmpfs -o "$tmpfs_opts" tmpfs "$dir"; then
  mounts+=("$dir")
  probe tmpfs "$dir"
else
  echo "run_probe: cannot mount tmpfs; skipping tmpfs" >&2
fi

loop_fs() {
  local fs=$1 size=$2
  shift 2
  local img="$work/$fs.img" dir="$work/$fs"
  mkdir "$dir"
  images+=("$img")
  if ! truncate -s "$size" "$img" || ! "$@" "$img" >&2; then
    echo "run_probe: cannot make the $fs image; skipping $fs" >&2
    return
  fi
  if ! mount -o loop "$img" "$dir"; then
    echo "run_probe: cannot mount the $fs image; skipping $fs" >&2
    return
  fi
  mounts+=("$dir")
  probe "$fs" "$dir"
}

loop_fs xfs 512M mkfs.xfs -f -q
loop_fs ext4 256M mkfs.ext4 -q -F
for e in "${extra_fs[@]}"; do
  # shellcheck disable=SC2086
  loop_fs $e
done

wanted=$((3 + ${#extra_fs[@]}))
if ((probed != wanted)); then
  echo "run_probe: only $probed of $wanted filesystems probed; $out left as it was" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
cp "$results" "$out"
echo "run_probe: wrote $out" >&2
