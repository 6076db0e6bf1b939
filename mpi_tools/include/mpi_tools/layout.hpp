// The job layout: how many ranks of each role, and which world rank has which role.
// This is the one place where ranks learn their role (from PFS_LAYOUT, set by pfs-run).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mpi_tools {

// Every rank has exactly one role. World ranks are assigned in this order (meta first), which
// is also the order of the MPMD blocks on the mpirun line that pfs-run builds.
enum class Role : std::uint8_t { meta = 0, data = 1, dm = 2, compute = 3 };
inline constexpr int kRoleCount = 4;

std::string_view role_name(Role r);
std::optional<Role> role_from_name(std::string_view name);

struct Layout {
    std::array<int, kRoleCount> count{};  // ranks per role, indexed by Role
    // A plain layout has only compute ranks: used by FT tests and benchmarks that need no PFS.
    bool plain = false;

    int total() const;
    int count_of(Role r) const { return count[static_cast<int>(r)]; }
    int first_rank(Role r) const;  // world rank of the first rank of role r
    Role role_of(int world_rank) const;
    int index_in_role(int world_rank) const;  // 0-based position among ranks of the same role

    // "meta:1,data:2,dm:1,compute:4" or "plain:N". Canonical output of to_string().
    std::string to_string() const;
    // Parses and validates; on error returns nullopt and a one-line reason in *error.
    static std::optional<Layout> parse(std::string_view text, std::string* error);
    // Validates counts: a PFS layout needs >= 1 meta, >= 1 data, >= 1 compute, dm >= 0.
    static std::optional<Layout> make(int meta, int data, int dm, int compute, std::string* error);
    static std::optional<Layout> make_plain(int ranks, std::string* error);
};

}  // namespace mpi_tools
