// Name and path validation with Linux errnos. Shared by the metadata service and the client so
// both reject bad input identically (the client fails fast without a round trip).
#pragma once

#include <string_view>
#include <vector>

#include "pfs/common/result.hpp"

namespace pfs::meta {

// A single directory-entry name: empty, '/' or NUL -> EINVAL; longer than NAME_MAX ->
// ENAMETOOLONG. "." and ".." pass: each operation decides what they mean (as Linux does).
Result<void> validate_name(std::string_view name) noexcept;

inline bool is_dot_or_dotdot(std::string_view n) noexcept {
    return n == "." || n == "..";
}

struct SplitPath {
    std::vector<std::string_view> components;  // "." and ".." kept; empty components dropped
    bool trailing_slash = false;               // "/a/b/" : the result must be a directory
};

// An absolute path: empty -> ENOENT, not starting with '/' -> EINVAL, length >= PATH_MAX or a
// component > NAME_MAX -> ENAMETOOLONG, embedded NUL -> EINVAL. Views point into `path`.
Result<SplitPath> split_path(std::string_view path);

// Components of a symlink target (absolute or relative); same limits, no emptiness check.
Result<SplitPath> split_components(std::string_view s);

}  // namespace pfs::meta
