#!/usr/bin/env bash
# pfs-run validates before starting anything: each bad command line gives exit 2 and exactly
# one stderr line containing "error", and no mpirun is started (a shim mpirun first on PATH
# would leave a marker) and no run dir is created.
source "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/shim"
cat >"$WORK/shim/mpirun" <<SHIM
#!/bin/sh
touch "$WORK/mpirun-started"
exit 0
SHIM
chmod +x "$WORK/shim/mpirun"
touch "$WORK/not-exec"
export PATH="$WORK/shim:$PATH"

check() {  # check "description" args...
    local what=$1; shift
    rm -rf "$WORK/rd" "$WORK/mpirun-started"
    run_pfs "$WORK/out" "$WORK/err" --run-dir "$WORK/rd" "$@"
    local lines
    lines=$(wc -l <"$WORK/err")
    if [[ $RC == 2 && $lines == 1 ]] && grep -q 'error' "$WORK/err" &&
        [[ ! -e "$WORK/mpirun-started" && ! -e "$WORK/rd" ]]; then
        pass "$what -> 2: $(cat "$WORK/err")"
    else
        fail "$what: rc=$RC stderr lines=$lines mpirun-started=$([[ -e "$WORK/mpirun-started" ]] && echo yes || echo no)"
        cat "$WORK/err"
    fi
}
F=$FAKE_JOB
check "no data rank" --meta 1 --compute 2 "${ROLES[@]}" -- "$F"
check "no meta rank" --data 1 --compute 2 "${ROLES[@]}" -- "$F"
check "no compute rank" --meta 1 --data 1 "${ROLES[@]}" -- "$F"
check "data 0" --meta 1 --data 0 --compute 1 "${ROLES[@]}" -- "$F"
check "negative count" --meta 1 --data -2 --compute 1 "${ROLES[@]}" -- "$F"
check "unknown role option" --meta 1 --data 1 --storage 1 --compute 1 "${ROLES[@]}" -- "$F"
check "unknown option" --bogus --plain 1 -- "$F"
check "--plain mixed with roles" --plain 2 --compute 1 -- "$F"
check "--plain 0" --plain 0 -- "$F"
check "no layout" -- "$F"
check "missing application" --plain 2
check "missing application after --" --plain 2 --
check "application not found" --plain 2 -- no-such-app-xyz
check "application not executable" --plain 2 -- "$WORK/not-exec"
check "server not found" --meta 1 --data 1 --compute 1 --server "$WORK/nope" --dm-app "$F" -- "$F"
check "dm app not found" --meta 1 --data 1 --dm 1 --compute 1 --server "$F" --dm-app "$WORK/nope" -- "$F"
check "bad count" --plain two -- "$F"
check "bad --ft-backend" --ft-backend magic --plain 1 -- "$F"
check "--mca with one value" --mca only --plain 1 -- "$F"
check "--fake-nodes 1" --fake-nodes 1 --plain 2 -- "$F"
check "negative --timeout" --timeout -1 --plain 1 -- "$F"

# --help is not an error.
run_pfs "$WORK/out" "$WORK/err" --help
[[ $RC == 0 ]] && grep -q -- '--shutdown-grace' "$WORK/out" && pass "--help exits 0" || fail "--help rc=$RC"
finish
