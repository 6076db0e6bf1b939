#!/usr/bin/env bash
# Attribute leases (pfs/server/attr_leases.hpp): two ranks cache paths, a third changes them
# (chmod, truncate, an extending write, mkdir in a cached directory, link, rename of a directory
# of the path, a replaced symlink, unlink, rename); each change must be visible to the holders
# as soon as it returned. Then a rank's own creates and changes against its own cache.
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2
run_case 3 attr_leases
