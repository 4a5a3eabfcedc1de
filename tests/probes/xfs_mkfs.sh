#!/usr/bin/env bash
# Records the geometry this host's mkfs.xfs picks for a range of image sizes
# and options, and what statfs(2) reports for a freshly made XFS, into
# fixtures/xfs_mkfs.jsonl beside this script. Run as root:
#
#   sudo tests/probes/xfs_mkfs.sh
#
# For every size in SIZES and every option set in OPTIONS it makes a sparse
# image file (truncate -s SIZE) and runs `mkfs.xfs -N -f OPTIONS IMAGE` (dry
# run: nothing is written), parsing every key=value number of its report.
# For the sizes in MOUNT_SIZES and the option sets in MOUNT_OPTIONS it then
# really makes the filesystem (`mkfs.xfs -f -q OPTIONS IMAGE`), mounts it with
# -o loop, checks xfs_info against the dry run, and records statfs (coreutils
# `stat -f`) right after the mount, after creating one empty file (touch), and
# after a sync(1) following that. On exit, whatever happened, it unmounts,
# detaches the loop devices and removes the images. The fixture is replaced
# only when every combination was recorded. The first line names the kernel,
# the xfsprogs version and this command; see README.md for the fields.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="$here/fixtures/xfs_mkfs.jsonl"
export PATH="/usr/sbin:/sbin:$PATH"

SIZES=(300M 512M 1G 4G 16G 64G 1T)
OPTIONS=("" "-b size=1024" "-b size=65536" "-d agcount=1" "-d agcount=7" "-m reflink=0")
MOUNT_SIZES=(300M 512M 1G)
MOUNT_OPTIONS=("" "-b size=1024" "-b size=65536" "-m reflink=0")

if [[ $(id -u) -ne 0 ]]; then
  echo "xfs_mkfs: must run as root (mount, losetup)" >&2
  exit 1
fi
need=()
command -v mkfs.xfs >/dev/null || need+=(xfsprogs)
command -v jq >/dev/null || need+=(jq)
if ((${#need[@]})); then
  echo "xfs_mkfs: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

work=$(mktemp -d /tmp/xfs_mkfs.XXXXXX)
img="$work/xfs.img"
mnt="$work/mnt"
mkdir "$mnt"

detach() {
  [[ -e $img ]] || return 0
  losetup -j "$img" -O NAME -n | xargs -r -n1 losetup -d
}
cleanup() {
  set +e
  mountpoint -q "$mnt" && umount "$mnt"
  detach
  rm -rf "$work"
}
trap cleanup EXIT

# parse_geometry < mkfs/xfs_info report  ->  one JSON object
# Keys are section-prefixed where a name repeats: meta-data (isize, agcount,
# agsize, sectsz, attr, ...), data_ (bsize, blocks, imaxpct, sunit, swidth),
# naming_ (bsize, ascii-ci, ftype), log_ (bsize, blocks, version, sectsz,
# sunit, lazy-count), rt_ (extsz, blocks, rtextents).
parse_geometry() {
  awk '
    /^[a-z-]+ *=/ { sec = $1; sub(/=.*/, "", sec) }
    {
      line = $0
      while (match(line, /[a-z0-9-]+=[0-9]+/)) {
        kv = substr(line, RSTART, RLENGTH)
        line = substr(line, RSTART + RLENGTH)
        k = kv; sub(/=.*/, "", k); v = kv; sub(/.*=/, "", v)
        p = (sec == "meta-data") ? "" : (sec == "data") ? "data_" : (sec == "naming") ? "naming_" : (sec == "log") ? "log_" : (sec == "realtime") ? "rt_" : sec "_"
        gsub(/-/, "_", k)
        printf "%s%s %s\n", p, k, v
      }
    }' | jq -R -s 'split("\n") | map(select(length > 0) | split(" ") | {(.[0]): (.[1] | tonumber)}) | add // {}'
}

# statfs_json DIR -> {"bsize","frsize","blocks","bfree","bavail","files","ffree"}
statfs_json() {
  stat -f -c '%s %S %b %f %a %c %d' "$1" | jq -R 'split(" ") | map(tonumber) |
    {bsize: .[0], frsize: .[1], blocks: .[2], bfree: .[3], bavail: .[4], files: .[5], ffree: .[6]}'
}

results="$work/results.jsonl"
jq -cn --arg k "$(uname -r)" --arg v "$(mkfs.xfs -V | awk '{print $NF}')" \
  '{kernel: $k, xfsprogs: $v, generated_by: "tests/probes/xfs_mkfs.sh"}' >"$results"
expected=0
lines=0

for size in "${SIZES[@]}"; do
  for opts in "${OPTIONS[@]}"; do
    expected=$((expected + 1))
    rm -f "$img"
    truncate -s "$size" "$img"
    size_bytes=$(stat -c %s "$img")
    rc=0
    # shellcheck disable=SC2086
    report=$(mkfs.xfs -N -f $opts "$img" 2>&1) || rc=$?
    if ((rc == 0)); then
      geom=$(parse_geometry <<<"$report")
      err=""
    else
      geom='{}'
      # the message, without the usage text mkfs.xfs prints after it
      err=$(sed '/^Usage: /,$d' <<<"$report")
    fi

    statfs='null'
    mount_this=0
    for s in "${MOUNT_SIZES[@]}"; do [[ $s == "$size" ]] && mount_this=1; done
    if ((mount_this)); then
      mount_this=0
      for o in "${MOUNT_OPTIONS[@]}"; do [[ $o == "$opts" ]] && mount_this=1; done
    fi
    if ((mount_this && rc == 0)); then
      # shellcheck disable=SC2086
      mkfs.xfs -f -q $opts "$img" >&2
      mrc=0
      merr=$(mount -o loop "$img" "$mnt" 2>&1) || mrc=$?
      if ((mrc == 0)); then
        empty=$(statfs_json "$mnt")
        touch "$mnt/f"
        one=$(statfs_json "$mnt")
        sync
        one_synced=$(statfs_json "$mnt")
        info=$(xfs_info "$mnt" | parse_geometry)
        same=$(jq -n --argjson a "$geom" --argjson b "$info" \
          '[ "agcount", "agsize", "data_bsize", "data_blocks", "log_blocks", "isize", "reflink" ] | all(. as $k | $a[$k] == $b[$k])')
        umount "$mnt"
        statfs=$(jq -cn --argjson e "$empty" --argjson o "$one" --argjson s "$one_synced" --argjson m "$same" \
          '{mount_rc: 0, mount_error: "", xfs_info_matches: $m, empty: $e, one_file: $o, one_file_synced: $s}')
      else
        statfs=$(jq -cn --argjson rc "$mrc" --arg e "$merr" '{mount_rc: $rc, mount_error: $e}')
      fi
      detach
    fi

    jq -cn --arg size "$size" --argjson sb "$size_bytes" --arg o "$opts" --argjson rc "$rc" \
      --arg err "$err" --argjson g "$geom" --argjson st "$statfs" \
      '{size: $size, size_bytes: $sb, options: $o, rc: $rc, error: $err,
        agcount: ($g.agcount // null), agsize: ($g.agsize // null), bsize: ($g.data_bsize // null),
        dblocks: ($g.data_blocks // null), logblocks: ($g.log_blocks // null),
        geometry: $g, statfs: $st}' >>"$results"
    lines=$((lines + 1))
    echo "xfs_mkfs: $size '${opts}': rc $rc" >&2
  done
done

if ((lines != expected)); then
  echo "xfs_mkfs: only $lines of $expected combinations recorded; $out left as it was" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
cp "$results" "$out"
echo "xfs_mkfs: wrote $out" >&2
