// The data pattern of -W/-R, after IOR's: a transfer buffer is filled once per task with 64-bit
// words (task << 32 | (seed + i)), and before every write the first word of each 4 KiB of the
// buffer is stamped with its file offset, the task and the seed, so data at the wrong offset,
// of the wrong task or of another run (-G) fails verification. Filling once keeps the pattern
// out of the timed loop, as in IOR.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pfs_ior {

inline constexpr std::size_t kStampWords = 4096 / 8;

inline std::uint64_t pattern_word(int task, std::uint32_t seed, std::size_t i) {
    return (static_cast<std::uint64_t>(task) << 32) | static_cast<std::uint32_t>(seed + i);
}
inline std::uint64_t pattern_stamp(int task, std::uint32_t seed, std::uint64_t file_offset) {
    return file_offset ^ (static_cast<std::uint64_t>(task + 1) << 48) ^
           (static_cast<std::uint64_t>(seed) * 0x9E3779B97F4A7C15ull);
}

// Fills `words` words for `task`.
void pattern_fill(std::uint64_t* buf, std::size_t words, int task, std::uint32_t seed);
// Stamps a filled buffer for a write at file offset `offset`.
void pattern_stamp_buffer(std::uint64_t* buf, std::size_t words, int task, std::uint32_t seed,
                          std::uint64_t offset);
// Words of `buf` (read from `offset`) that differ from what `task` wrote there;
// *first_bad gets the file offset of the first one.
std::uint64_t pattern_verify(const std::uint64_t* buf, std::size_t words, int task,
                             std::uint32_t seed, std::uint64_t offset, std::uint64_t* first_bad);

}  // namespace pfs_ior
