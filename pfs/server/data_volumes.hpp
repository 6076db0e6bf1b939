// The data volumes a data rank serves: its own, and those it adopted from dead data ranks
// (docs/pfs.md "Volume adoption"). Data requests name their volume; a request for a volume not
// served here is answered EAGAIN (the client re-routes it through the volume map and retries).
// Stores are added, never removed (a live rank never loses a volume), so a pointer found here
// stays valid for the life of the process.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>

#include "pfs/data/object_store.hpp"

namespace pfs::server {

class DataVolumes {
  public:
    data::ObjectStore* find(std::uint32_t volume) const {
        std::shared_lock lk(mu_);
        auto it = stores_.find(volume);
        return it == stores_.end() ? nullptr : it->second.get();
    }
    bool contains(std::uint32_t volume) const { return find(volume) != nullptr; }
    void add(std::uint32_t volume, std::unique_ptr<data::ObjectStore> s) {
        std::unique_lock lk(mu_);
        stores_.emplace(volume, std::move(s));
    }

  private:
    mutable std::shared_mutex mu_;
    std::map<std::uint32_t, std::unique_ptr<data::ObjectStore>> stores_;
};

}  // namespace pfs::server
