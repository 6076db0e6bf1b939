// Which world rank serves each PFS volume: the metadata volume (meta-0) and the data volumes
// (data-i), computed from the job layout and a list of live world ranks. Every rank computes it
// from the same agreed member list of an FT epoch (ft().members() after a shrink), so every
// rank gets the same map without exchanging it (docs/pfs.md, "Volume adoption"):
//
//  - a volume whose home rank (meta rank 0; data rank i for data-i) is live is served there;
//  - data-i of a dead data rank goes to the lowest-numbered live data rank;
//  - meta-0 of a dead meta rank goes to the lowest live standby meta rank, else to the lowest
//    live data rank.
//
// A live rank never loses a volume it serves (the lowest live rank of a role stays the lowest
// until it dies), so a volume moves only when the rank serving it died. -1: no rank left.
#pragma once

#include <cstdint>
#include <vector>

#include "mpi_tools/layout.hpp"

namespace mpi_tools {

class VolumeMap {
  public:
    // `live`: world ranks taken as alive (any order).
    VolumeMap(const Layout& layout, std::vector<int> live);

    int meta_server() const;
    int data_server(std::uint32_t volume) const;
    // The rank serving the volume whose home is `home_rank` (meta rank 0 or a data rank);
    // any other rank maps to itself.
    int serving(int home_rank) const;
    // The data volumes `rank` serves (its own first when it is live, then adopted ones).
    std::vector<std::uint32_t> data_volumes_of(int rank) const;
    bool serves_meta(int rank) const { return meta_server() == rank && rank >= 0; }
    // True when every volume has a live server.
    bool complete() const;

  private:
    bool live(int r) const;
    int lowest_live(Role role) const;

    Layout layout_;
    std::vector<int> live_;  // sorted
};

}  // namespace mpi_tools
