# Setup every script test shares: strict mode, the build's bin dir, a private work dir removed on
# exit, the captured job output, and fail() that shows it.
#   . tests/lib/common.sh <work-dir prefix>
set -uo pipefail
BIN=${PFS_BIN_DIR:?PFS_BIN_DIR not set (run through ctest)}
WORK=$(mktemp -d "/tmp/${1:-pfs-test}-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/out.txt
fail() { echo "FAIL: $*"; echo "----- job output -----"; cat "$OUT"; exit 1; }
