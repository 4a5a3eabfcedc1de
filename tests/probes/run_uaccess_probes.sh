#!/usr/bin/env bash
# Records fixtures/uaccess.jsonl: the same as `run_probe.sh uaccess`, kept
# under its old name for the README's instructions.
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/run_probe.sh" uaccess "$@"
