#include "pattern.hpp"

namespace pfs_ior {

void pattern_fill(std::uint64_t* buf, std::size_t words, int task, std::uint32_t seed) {
    for (std::size_t i = 0; i < words; ++i) buf[i] = pattern_word(task, seed, i);
}

void pattern_stamp_buffer(std::uint64_t* buf, std::size_t words, int task, std::uint32_t seed,
                          std::uint64_t offset) {
    for (std::size_t i = 0; i < words; i += kStampWords)
        buf[i] = pattern_stamp(task, seed, offset + i * 8);
}

std::uint64_t pattern_verify(const std::uint64_t* buf, std::size_t words, int task,
                             std::uint32_t seed, std::uint64_t offset, std::uint64_t* first_bad) {
    std::uint64_t bad = 0;
    for (std::size_t i = 0; i < words; ++i) {
        const std::uint64_t want = i % kStampWords == 0 ? pattern_stamp(task, seed, offset + i * 8)
                                                        : pattern_word(task, seed, i);
        if (buf[i] != want) {
            if (bad == 0 && first_bad != nullptr) *first_bad = offset + i * 8;
            ++bad;
        }
    }
    return bad;
}

}  // namespace pfs_ior
