#!/usr/bin/env bash
# Records what the real xfs_io prints for every case in tests/io_golden/cases,
# on a fresh loop-mounted XFS and on a fresh tmpfs, into
# tests/io_golden/fixtures/{xfs,tmpfs}.jsonl.
#
#   sudo tests/io_golden/record.sh            # every case, both columns
#   sudo tests/io_golden/record.sh 012-foo    # only these cases, merged into
#                                             # the existing fixtures
#
# Each case gets its own filesystem: xfs is a 1 GiB sparse image made with
# `mkfs.xfs -f -q <# mkfs:> IMAGE` and mounted -o loop[,<# mount:>]; tmpfs is
# `mount -t tmpfs -o size=1g[,<# mount:>]`.  xfs_io runs inside the
# mountpoint with TZ=UTC LC_ALL=C.  A fixture is replaced only when every case
# for its column was recorded.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "record.sh: must be run as root (sudo $0)" >&2
  exit 1
fi
for tool in xfs_io mkfs.xfs jq losetup mount umount mountpoint timeout iconv; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "record.sh: $tool is missing (apt-get install xfsprogs jq util-linux)" >&2
    exit 1
  fi
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cases_dir=$here/cases
fixtures_dir=$here/fixtures
columns=(xfs tmpfs)
case_timeout=${IO_GOLDEN_TIMEOUT:-120}

work=$(mktemp -d /tmp/io_golden.XXXXXX)
mnt=$work/mnt
img=$work/xfs.img
mkdir -p "$mnt" "$work/out"

cleanup() {
  local status=$?
  cd / || true
  if mountpoint -q "$mnt" 2>/dev/null; then
    umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
  fi
  if [[ -e $img ]]; then
    local dev
    for dev in $(losetup -n -O NAME -j "$img" 2>/dev/null); do
      losetup -d "$dev" 2>/dev/null || true
    done
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- case parsing -----------------------------------------------------------
# Sets: h_shows h_fs h_mkfs h_mount h_args h_has_args, cmds=()
parse_case() {
  local file=$1 line key value in_header=1
  h_shows="" h_fs="" h_mkfs="" h_mount="" h_args="" h_has_args=0
  cmds=()
  while IFS= read -r line || [[ -n $line ]]; do
    if (( in_header )) && [[ $line == \#* ]]; then
      if [[ $line =~ ^#\ ([a-z]+):\ ?(.*)$ ]]; then
        key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
        case $key in
          shows) h_shows=$value ;;
          fs) h_fs=$value ;;
          mkfs) h_mkfs=$value ;;
          mount) h_mount=$value ;;
          args) h_args=$value h_has_args=1 ;;
          *) echo "record.sh: $file: unknown header key '$key'" >&2; return 1 ;;
        esac
      else
        echo "record.sh: $file: bad header line: $line" >&2
        return 1
      fi
      continue
    fi
    in_header=0
    if [[ -z $line || $line == \#* ]]; then
      echo "record.sh: $file: blank or '#' line among commands" >&2
      return 1
    fi
    cmds+=("$line")
  done <"$file"
  [[ -n $h_shows ]] || { echo "record.sh: $file: no '# shows:'" >&2; return 1; }
  [[ -n $h_fs ]] || { echo "record.sh: $file: no '# fs:'" >&2; return 1; }
  (( h_has_args )) || { echo "record.sh: $file: no '# args:'" >&2; return 1; }
  local col
  for col in $h_fs; do
    [[ $col == xfs || $col == tmpfs ]] ||
      { echo "record.sh: $file: unknown fs column '$col'" >&2; return 1; }
  done
  (( ${#cmds[@]} > 0 )) || { echo "record.sh: $file: no commands" >&2; return 1; }
}

case_has_column() {  # case_file column
  parse_case "$1" && [[ " $h_fs " == *" $2 "* ]]
}

# --- one recording ----------------------------------------------------------
record_one() {  # case_name column -> writes $work/out/$column/$case_name.json
  local name=$1 col=$2 file=$cases_dir/$1.xfsio
  parse_case "$file"
  local -a mkfs_opts=() args=() cargs=()
  read -r -a mkfs_opts <<<"$h_mkfs"
  read -r -a args <<<"$h_args"
  local c
  for c in "${cmds[@]}"; do cargs+=(-c "$c"); done

  case $col in
    xfs)
      rm -f "$img"
      truncate -s 1G "$img"
      mkfs.xfs -f -q "${mkfs_opts[@]}" "$img"
      mount -o "loop${h_mount:+,$h_mount}" "$img" "$mnt"
      ;;
    tmpfs)
      mount -t tmpfs -o "size=1g${h_mount:+,$h_mount}" tmpfs "$mnt"
      ;;
  esac

  local out=$work/stdout err=$work/stderr rc=0
  (
    cd "$mnt"
    exec env TZ=UTC LC_ALL=C timeout -k 5 "$case_timeout" \
      xfs_io "${args[@]}" "${cargs[@]}" </dev/null >"$out" 2>"$err"
  ) || rc=$?

  cd /
  umount "$mnt"
  if [[ $col == xfs ]]; then
    local dev
    for dev in $(losetup -n -O NAME -j "$img"); do losetup -d "$dev"; done
    rm -f "$img"
  fi

  if (( rc == 124 || rc == 137 )); then
    echo "record.sh: $name ($col): xfs_io timed out" >&2
    return 1
  fi
  local f
  for f in "$out" "$err"; do
    if ! iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1; then
      echo "record.sh: $name ($col): output is not UTF-8; JSON would not be exact" >&2
      return 1
    fi
  done
  mkdir -p "$work/out/$col"
  jq -n -c --arg case "$name" --rawfile stdout "$out" --rawfile stderr "$err" \
    --argjson rc "$rc" '{case: $case, stdout: $stdout, stderr: $stderr, rc: $rc}' \
    >"$work/out/$col/$name.json"
  echo "recorded $name ($col) rc=$rc" >&2
}

# --- which cases -------------------------------------------------------------
all_cases=()
for f in "$cases_dir"/*.xfsio; do
  all_cases+=("$(basename "$f" .xfsio)")
done
IFS=$'\n' read -r -d '' -a all_cases < <(printf '%s\n' "${all_cases[@]}" | LC_ALL=C sort; printf '\0') || true
(( ${#all_cases[@]} > 0 )) || { echo "record.sh: no cases in $cases_dir" >&2; exit 1; }

partial=0
selected=()
if (( $# > 0 )); then
  partial=1
  for arg in "$@"; do
    arg=$(basename "$arg" .xfsio)
    [[ -f $cases_dir/$arg.xfsio ]] || { echo "record.sh: no case $arg" >&2; exit 1; }
    selected+=("$arg")
  done
else
  selected=("${all_cases[@]}")
fi

# Validate every case file up front.
for name in "${all_cases[@]}"; do
  parse_case "$cases_dir/$name.xfsio"
done

# --- record -------------------------------------------------------------------
for name in "${selected[@]}"; do
  parse_case "$cases_dir/$name.xfsio"
  for col in $h_fs; do
    record_one "$name" "$col"
  done
done

# --- write fixtures -----------------------------------------------------------
mkdir -p "$fixtures_dir"
kernel=$(uname -r)
xfs_io_version=$(xfs_io -V)
for col in "${columns[@]}"; do
  fixture=$fixtures_dir/$col.jsonl
  mkdir -p "$work/out/$col"
  if (( partial )); then
    # Keep the existing recordings of the cases not re-recorded now.
    if [[ -f $fixture ]]; then
      tail -n +2 "$fixture" | while IFS= read -r line; do
        name=$(jq -r .case <<<"$line")
        if [[ ! -e $work/out/$col/$name.json && -f $cases_dir/$name.xfsio ]] &&
           case_has_column "$cases_dir/$name.xfsio" "$col"; then
          printf '%s\n' "$line" >"$work/out/$col/$name.json"
        fi
      done
    fi
  fi
  # Every case for this column must be present, or the fixture stays as it is.
  missing=()
  for name in "${all_cases[@]}"; do
    if case_has_column "$cases_dir/$name.xfsio" "$col" &&
       [[ ! -e $work/out/$col/$name.json ]]; then
      missing+=("$name")
    fi
  done
  if (( ${#missing[@]} > 0 )); then
    echo "record.sh: $col: not replacing $fixture; not recorded: ${missing[*]}" >&2
    continue
  fi
  tmp=$work/$col.jsonl
  jq -n -c --arg kernel "$kernel" --arg xfs_io "$xfs_io_version" \
    '{kernel: $kernel, xfs_io: $xfs_io, command: "tests/io_golden/record.sh"}' >"$tmp"
  for name in "${all_cases[@]}"; do
    if [[ -e $work/out/$col/$name.json ]]; then
      cat "$work/out/$col/$name.json" >>"$tmp"
    fi
  done
  mv "$tmp" "$fixture"
  echo "wrote $fixture ($(($(wc -l <"$fixture") - 1)) cases)" >&2
done
