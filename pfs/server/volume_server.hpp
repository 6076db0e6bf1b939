// The volumes one server rank serves, by the volume map (mpi_tools/volume_map.hpp): at start-up
// its own (meta rank 0: the metadata volume; data rank i: data-i; a standby meta rank: none),
// and after every recovery (Job::on_recovered) the volumes of dead ranks that the map now gives
// it: volume adoption (docs/pfs.md). An adopted volume is opened from the shared cluster root,
// exactly as its dead owner left it: the object files (every acknowledged write is in them)
// or the LMDB environment (every acknowledged change is a committed transaction).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "attr_leases.hpp"
#include "data_volumes.hpp"
#include "dir_delegations.hpp"
#include "mpi_tools/job.hpp"
#include "mpi_tools/volume_map.hpp"
#include "pfs/meta/meta_store.hpp"
#include "pfs/meta/superblock.hpp"
#include "worker_pool.hpp"

namespace pfs::server {

class VolumeServer {
  public:
    VolumeServer(mpi_tools::Job& job, meta::Superblock sb);
    // Serves this rank's own volume (or nothing, on a standby meta rank) and registers for
    // recoveries. Ends the job when the volume cannot be opened.
    void start();

  private:
    void adopt(const mpi_tools::VolumeMap& map);
    // Ends the delegations of holders not in `live` (after a recovery, or all at a fresh start).
    void end_delegations(const std::vector<int>& live);
    void serve_meta_volume(bool adopted);
    void open_data_volume(std::uint32_t v);

    mpi_tools::Job& job_;
    const meta::Superblock sb_;
    std::mutex mu_;  // start() and adopt() (the recovery thread)
    DataVolumes data_;
    bool data_served_ = false;
    std::unique_ptr<meta::MetaStore> meta_;
    std::unique_ptr<AttrLeases> leases_;           // of meta_; made before its services
    std::unique_ptr<DirDelegations> delegations_;  // of meta_; the same
    std::unique_ptr<WorkerPool> data_pool_, meta_pool_;
};

}  // namespace pfs::server
