// DM access rights as the metadata server keeps them (XDSM dm_request_right & co., DESIGN.md
// section 5): per file, the rights DM tokens hold, each tagged with the rank it was granted to so
// that a failed rank's rights can be dropped (GPFS: a session failure loses its rights). Pure
// bookkeeping without I/O or locking; RightsService (rights_service.cpp) adds the lock, the
// deferred replies of DM_RR_WAIT requests and of waiting user operations, and the cache
// invalidations that make a new right hold against operations already past their check.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "pfs/common/types.hpp"

namespace pfs::server {

class RightsTable {
  public:
    using File = std::pair<Ino, Gen>;
    struct Holder {
        std::uint64_t sid = 0;
        std::uint64_t token = 0;
        friend auto operator<=>(const Holder&, const Holder&) = default;
    };
    enum Right : std::uint8_t { kNone = 0, kShared = 1, kExcl = 2 };

    // What a change did, for the service: whether the file now has a stronger right than before
    // (caches of it must be dropped before the grant is returned) and whether the table went
    // from empty to non-empty or back (the file system's "rights active" flag changed).
    struct Effect {
        bool stronger = false;
        bool activated = false;
        bool deactivated = false;
    };

    // Grants `right` (kShared/kExcl) to h: 0; EAGAIN when another holder conflicts. Holding it or
    // a stronger one already: 0, no change. Holding shared and asking excl: an upgrade.
    int request(File f, Holder h, int rank, Right right, Effect* eff);
    // 0, or EACCES when h holds no right on f.
    int release(File f, Holder h, Effect* eff);
    // shared -> excl: 0 (also when excl already), EACCES (no right), EAGAIN (others hold it).
    int upgrade(File f, Holder h, Effect* eff);
    // excl -> shared: 0, EACCES when h does not hold excl.
    int downgrade(File f, Holder h, Effect* eff);
    Right query(File f, Holder h) const;
    // Drops every right of a token / of a rank; returns the files whose rights weakened.
    std::vector<File> release_token(Holder h, Effect* eff);
    std::vector<File> release_rank(int rank, Effect* eff);

    // The strongest right anyone holds on f, and whether one conflicts with a user operation
    // that reads (want kShared: only excl conflicts) or modifies (want kExcl: any right does).
    Right strongest(File f) const;
    bool conflicts(File f, Right want) const;
    bool active() const { return !files_.empty(); }
    std::size_t files() const { return files_.size(); }

  private:
    struct Grant {
        Right right = kNone;
        int rank = -1;
    };
    // Whether h could hold `right` on f given the other holders.
    bool compatible(File f, Holder h, Right right) const;
    void erase(File f, Holder h, bool was_active, Effect* eff);
    std::map<File, std::map<Holder, Grant>> files_;
};

}  // namespace pfs::server
