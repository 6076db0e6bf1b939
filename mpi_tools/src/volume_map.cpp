#include "mpi_tools/volume_map.hpp"

#include <algorithm>

namespace mpi_tools {

VolumeMap::VolumeMap(const Layout& layout, std::vector<int> live)
    : layout_(layout), live_(std::move(live)) {
    std::sort(live_.begin(), live_.end());
}

bool VolumeMap::live(int r) const {
    return std::binary_search(live_.begin(), live_.end(), r);
}

int VolumeMap::lowest_live(Role role) const {
    const int first = layout_.first_rank(role);
    const int n = layout_.count_of(role);
    for (int r = first; r < first + n; ++r)
        if (live(r)) return r;
    return -1;
}

int VolumeMap::meta_server() const {
    if (layout_.plain || layout_.count_of(Role::meta) == 0) return -1;
    const int home = layout_.first_rank(Role::meta);
    if (live(home)) return home;
    const int standby = lowest_live(Role::meta);
    return standby >= 0 ? standby : lowest_live(Role::data);
}

int VolumeMap::data_server(std::uint32_t volume) const {
    if (layout_.plain || volume >= static_cast<std::uint32_t>(layout_.count_of(Role::data)))
        return -1;
    const int home = layout_.first_rank(Role::data) + static_cast<int>(volume);
    return live(home) ? home : lowest_live(Role::data);
}

int VolumeMap::serving(int home_rank) const {
    if (layout_.plain) return home_rank;
    if (home_rank == layout_.first_rank(Role::meta) && layout_.count_of(Role::meta) > 0)
        return meta_server();
    if (layout_.role_of(home_rank) == Role::data && home_rank < layout_.total())
        return data_server(static_cast<std::uint32_t>(layout_.index_in_role(home_rank)));
    return home_rank;
}

std::vector<std::uint32_t> VolumeMap::data_volumes_of(int rank) const {
    std::vector<std::uint32_t> out;
    if (rank < 0 || layout_.plain || layout_.role_of(rank) != Role::data) return out;
    const auto n = static_cast<std::uint32_t>(layout_.count_of(Role::data));
    const auto own = static_cast<std::uint32_t>(layout_.index_in_role(rank));
    if (data_server(own) == rank) out.push_back(own);
    for (std::uint32_t v = 0; v < n; ++v)
        if (v != own && data_server(v) == rank) out.push_back(v);
    return out;
}

bool VolumeMap::complete() const {
    if (layout_.plain) return true;
    if (meta_server() < 0) return false;
    for (std::uint32_t v = 0; v < static_cast<std::uint32_t>(layout_.count_of(Role::data)); ++v)
        if (data_server(v) < 0) return false;
    return true;
}

}  // namespace mpi_tools
