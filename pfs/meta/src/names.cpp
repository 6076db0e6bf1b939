#include "pfs/meta/names.hpp"

#include <cerrno>

#include "pfs/common/config.hpp"

namespace pfs::meta {

Result<void> validate_name(std::string_view name) noexcept {
    if (name.empty()) return Errno{EINVAL};
    if (name.size() > config::kNameMax) return Errno{ENAMETOOLONG};
    if (name.find_first_of(std::string_view("/\0", 2)) != std::string_view::npos)
        return Errno{EINVAL};
    return {};
}

Result<SplitPath> split_components(std::string_view s) {
    if (s.size() >= config::kPathMax) return Errno{ENAMETOOLONG};
    if (s.find('\0') != std::string_view::npos) return Errno{EINVAL};
    SplitPath out;
    std::size_t i = 0;
    while (i < s.size()) {
        if (s[i] == '/') {
            ++i;
            continue;
        }
        const auto end = s.find('/', i);
        const auto comp = s.substr(i, end == std::string_view::npos ? s.size() - i : end - i);
        if (comp.size() > config::kNameMax) return Errno{ENAMETOOLONG};
        out.components.push_back(comp);
        i += comp.size();
    }
    out.trailing_slash = !s.empty() && s.back() == '/' && !out.components.empty();
    return out;
}

Result<SplitPath> split_path(std::string_view path) {
    if (path.empty()) return Errno{ENOENT};
    if (path.size() >= config::kPathMax) return Errno{ENAMETOOLONG};
    if (path.front() != '/') return Errno{EINVAL};
    return split_components(path);
}

}  // namespace pfs::meta
