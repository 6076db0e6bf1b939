// Event tokens: assigned at the SOURCE rank, unique in the job, never DM_INVALID_TOKEN (0) or
// DM_NO_TOKEN (-1):
//
//     token = ((source_world_rank + 1) << 19) | seq19,   seq19 in [1, 2^19 - 1]
//
// so a token is always > 0, names its source rank (the RESPONSE goes straight back there, and
// recovery resubmits with the same value: claim 17), and a value whose rank field is 0 (small
// integers like 1, 2, ...) is never a token: EINVAL, not ESRCH. Up to 4095 ranks (world ranks
// 0..4094); larger jobs are refused at Node::start. The sequence wraps and skips values still
// outstanding at that source.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_set>

#include "dmapi/core/types.hpp"

namespace dmapi::core {

inline constexpr int kTokenSeqBits = 19;
inline constexpr std::uint32_t kTokenMaxSeq = (1u << kTokenSeqBits) - 1;  // 524287
inline constexpr int kMaxRanks = 4095;

constexpr dm_token_t make_token(int source_rank, std::uint32_t seq) {
    return static_cast<dm_token_t>((static_cast<std::uint32_t>(source_rank + 1) << kTokenSeqBits) |
                                   (seq & kTokenMaxSeq));
}
// True for a value that can name an event of this implementation.
constexpr bool token_valid(dm_token_t t) {
    return t > 0 && (static_cast<std::uint32_t>(t) & kTokenMaxSeq) != 0 &&
           (static_cast<std::uint32_t>(t) >> kTokenSeqBits) >= 1;
}
// The source world rank of a valid token, -1 otherwise.
constexpr int token_source(dm_token_t t) {
    return token_valid(t) ? static_cast<int>(static_cast<std::uint32_t>(t) >> kTokenSeqBits) - 1
                          : -1;
}
constexpr std::uint32_t token_seq(dm_token_t t) {
    return static_cast<std::uint32_t>(t) & kTokenMaxSeq;
}

// Per-rank token allocation from the sequence range [lo, hi] (default: all of it). Not
// thread-safe: the owner locks. A Node uses two ranges: synchronous events (and user-event
// tokens) in the lower half, asynchronous events in the upper one, so that a flood of
// asynchronous events (over a million a second) never cycles through the synchronous tokens,
// which the session rank remembers for a while after their response.
class TokenAllocator {
  public:
    explicit TokenAllocator(int rank, std::uint32_t first_seq = 1, std::uint32_t lo = 1,
                            std::uint32_t hi = kTokenMaxSeq)
        : rank_(rank),
          lo_(lo == 0 ? 1 : lo),
          hi_(hi > kTokenMaxSeq || hi < lo_ ? kTokenMaxSeq : hi),
          next_(first_seq < lo_ || first_seq > hi_ ? lo_ : first_seq) {}
    // A fresh token, skipping sequences still outstanding; nullopt when all are.
    std::optional<dm_token_t> allocate() {
        if (live_.size() >= hi_ - lo_ + 1) return std::nullopt;
        for (;;) {
            std::uint32_t s = next_;
            next_ = next_ == hi_ ? lo_ : next_ + 1;
            if (live_.insert(s).second) return make_token(rank_, s);
        }
    }
    void release(dm_token_t t) { live_.erase(token_seq(t)); }
    bool outstanding(dm_token_t t) const { return live_.count(token_seq(t)) != 0; }
    bool owns(dm_token_t t) const { return token_seq(t) >= lo_ && token_seq(t) <= hi_; }
    std::size_t live() const { return live_.size(); }

  private:
    int rank_;
    std::uint32_t lo_, hi_;
    std::uint32_t next_;
    std::unordered_set<std::uint32_t> live_;
};

}  // namespace dmapi::core
