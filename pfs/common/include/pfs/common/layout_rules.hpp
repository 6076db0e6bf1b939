// Validity rules for stripe layouts, shared by the metadata service (which chooses layouts),
// the superblock (which stores defaults) and the client striping code (which trusts nothing).
#pragma once

#include <cstdint>

#include "pfs/common/config.hpp"
#include "pfs/common/types.hpp"

namespace pfs {

constexpr bool valid_stripe_size(std::uint64_t s) noexcept {
    return s >= config::kMinStripeSize && s <= config::kMaxStripeSize &&
           s % config::kStripeAlign == 0;
}

// A concrete layout of a file on a system with `servers` data servers.
constexpr bool valid_layout(const Layout& l, std::uint32_t servers) noexcept {
    return valid_stripe_size(l.stripe_size) && l.stripe_count >= 1 &&
           l.stripe_count <= config::kMaxStripeCount && l.stripe_count <= servers &&
           l.first_server < servers;
}

}  // namespace pfs
