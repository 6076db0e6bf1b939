#include "mpi_tools/layout.hpp"

#include <charconv>
#include <vector>

namespace mpi_tools {
namespace {
constexpr std::array<std::string_view, kRoleCount> kNames{"meta", "data", "dm", "compute"};
// Far above any real job on this layer; guards against overflow and typos like 1e9.
constexpr int kMaxRanksPerRole = 1 << 20;
}  // namespace

std::string_view role_name(Role r) {
    return kNames[static_cast<int>(r)];
}

std::optional<Role> role_from_name(std::string_view name) {
    for (int i = 0; i < kRoleCount; ++i)
        if (kNames[i] == name) return static_cast<Role>(i);
    return std::nullopt;
}

int Layout::total() const {
    int t = 0;
    for (int c : count) t += c;
    return t;
}

int Layout::first_rank(Role r) const {
    int first = 0;
    for (int i = 0; i < static_cast<int>(r); ++i) first += count[i];
    return first;
}

Role Layout::role_of(int world_rank) const {
    int end = 0;
    for (int i = 0; i < kRoleCount; ++i) {
        end += count[i];
        if (world_rank < end) return static_cast<Role>(i);
    }
    return Role::compute;  // out of range: callers validate world_rank < total()
}

int Layout::index_in_role(int world_rank) const {
    return world_rank - first_rank(role_of(world_rank));
}

std::string Layout::to_string() const {
    if (plain) return "plain:" + std::to_string(count_of(Role::compute));
    std::string s;
    for (int i = 0; i < kRoleCount; ++i) {
        if (i) s += ',';
        s += kNames[i];
        s += ':';
        s += std::to_string(count[i]);
    }
    return s;
}

std::optional<Layout> Layout::make(int meta, int data, int dm, int compute, std::string* error) {
    auto fail = [&](std::string msg) -> std::optional<Layout> {
        if (error) *error = std::move(msg);
        return std::nullopt;
    };
    const std::array<int, kRoleCount> c{meta, data, dm, compute};
    for (int i = 0; i < kRoleCount; ++i) {
        if (c[i] < 0) return fail("negative rank count for role '" + std::string(kNames[i]) + "'");
        if (c[i] > kMaxRanksPerRole)
            return fail("too many ranks for role '" + std::string(kNames[i]) + "'");
    }
    if (meta < 1) return fail("a layout needs at least one meta rank (--meta N)");
    if (data < 1) return fail("a layout needs at least one data rank (--data N)");
    if (compute < 1) return fail("a layout needs at least one compute rank (--compute N)");
    Layout l;
    l.count = c;
    return l;
}

std::optional<Layout> Layout::make_plain(int ranks, std::string* error) {
    if (ranks < 1 || ranks > kMaxRanksPerRole) {
        if (error)
            *error =
                "a plain job needs between 1 and " + std::to_string(kMaxRanksPerRole) + " ranks";
        return std::nullopt;
    }
    Layout l;
    l.plain = true;
    l.count[static_cast<int>(Role::compute)] = ranks;
    return l;
}

std::optional<Layout> Layout::parse(std::string_view text, std::string* error) {
    auto fail = [&](std::string msg) -> std::optional<Layout> {
        if (error) *error = std::move(msg);
        return std::nullopt;
    };
    auto parse_int = [](std::string_view v, int* out) {
        if (v.empty()) return false;
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
        return ec == std::errc() && p == v.data() + v.size();
    };
    if (text.starts_with("plain:")) {
        int n = 0;
        if (!parse_int(text.substr(6), &n))
            return fail("bad plain layout '" + std::string(text) + "'");
        return make_plain(n, error);
    }
    std::array<int, kRoleCount> c{};
    std::array<bool, kRoleCount> seen{};
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t comma = text.find(',', pos);
        if (comma == std::string_view::npos) comma = text.size();
        std::string_view item = text.substr(pos, comma - pos);
        std::size_t colon = item.find(':');
        if (colon == std::string_view::npos)
            return fail("bad layout item '" + std::string(item) + "' (want role:count)");
        auto role = role_from_name(item.substr(0, colon));
        if (!role)
            return fail("unknown role '" + std::string(item.substr(0, colon)) +
                        "' (roles: meta, data, dm, compute)");
        int n = 0;
        if (!parse_int(item.substr(colon + 1), &n))
            return fail("bad count in '" + std::string(item) + "'");
        int i = static_cast<int>(*role);
        if (seen[i]) return fail("role '" + std::string(kNames[i]) + "' given twice");
        seen[i] = true;
        c[i] = n;
        pos = comma + 1;
    }
    return make(c[0], c[1], c[2], c[3], error);
}

}  // namespace mpi_tools
