#!/usr/bin/env bash
# Bad layouts are refused with one line on stderr and exit 2, before anything starts.
. "$(dirname "$0")/lib.sh"
check() {
    local what=$1; shift
    "$BIN/pfs-run" --root "$WORK/root" --run-dir "$WORK/run-$what" "$@" > "$OUT" 2> "$WORK/err"
    local rc=$?
    [[ $rc -eq 2 ]] || fail "$what: exit $rc, want 2"
    [[ $(wc -l < "$WORK/err") -eq 1 ]] || { cat "$WORK/err"; fail "$what: want exactly one line on stderr"; }
    grep -q "error" "$WORK/err" || fail "$what: message lacks 'error'"
    [[ ! -e $WORK/run-$what/status ]] || fail "$what: a job ran"
    echo "ok: $what -> $(cat "$WORK/err")"
}
check no-data --meta 1 --data 0 --compute 2 -- "$BIN/pfs-healthcheck"
check unknown-role --meta 1 --data 1 --gpu 1 --compute 2 -- "$BIN/pfs-healthcheck"
check missing-app --meta 1 --data 1 --compute 2
check app-not-found --meta 1 --data 1 --compute 2 -- /nonexistent/app
echo PASS
