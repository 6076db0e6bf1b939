// MPI_Info hints the driver honours (ROMIO's names, so IOR hint files and HDF5 property lists
// work unchanged). Unknown keys are ignored, as MPI requires; malformed values keep the default.
#include <cstdlib>
#include <string>

#include "driver.hpp"

namespace pfs::mpiio {
namespace {

bool get(MPI_Info info, const char* key, std::string* out) {
    int flag = 0, len = 0;
    if (PMPI_Info_get_valuelen(info, key, &len, &flag) != MPI_SUCCESS || !flag) return false;
    std::string v(static_cast<std::size_t>(len) + 1, '\0');
    PMPI_Info_get(info, key, len + 1, v.data(), &flag);
    v.resize(static_cast<std::size_t>(len));
    *out = v;
    return flag != 0;
}

template <class T>
void get_num(MPI_Info info, const char* key, T* out, long long min) {
    std::string v;
    if (!get(info, key, &v)) return;
    char* end = nullptr;
    const long long x = std::strtoll(v.c_str(), &end, 10);
    if (end != v.c_str() && *end == '\0' && x >= min) *out = static_cast<T>(x);
}

void get_tri(MPI_Info info, const char* key, Tristate* out) {
    std::string v;
    if (!get(info, key, &v)) return;
    if (v == "enable") *out = Tristate::enable;
    if (v == "disable") *out = Tristate::disable;
    if (v == "automatic") *out = Tristate::automatic;
}

const char* name(Tristate t) {
    return t == Tristate::enable ? "enable" : t == Tristate::disable ? "disable" : "automatic";
}

}  // namespace

void Hints::apply(MPI_Info info) {
    if (info == MPI_INFO_NULL) return;
    get_num(info, "cb_nodes", &cb_nodes, 1);
    get_num(info, "cb_buffer_size", &cb_buffer_size, 4096);
    get_tri(info, "romio_cb_read", &cb_read);
    get_tri(info, "romio_cb_write", &cb_write);
    get_tri(info, "romio_ds_read", &ds_read);
    get_num(info, "ind_rd_buffer_size", &ind_rd_buffer_size, 1);
    get_num(info, "striping_unit", &striping_unit, 1);
    get_num(info, "striping_factor", &striping_factor, 1);
}

MPI_Info Hints::to_info(int cb_nodes_in_effect) const {
    MPI_Info info = MPI_INFO_NULL;
    PMPI_Info_create(&info);
    auto set = [&](const char* k, const std::string& v) { PMPI_Info_set(info, k, v.c_str()); };
    set("cb_nodes", std::to_string(cb_nodes > 0 ? cb_nodes : cb_nodes_in_effect));
    set("cb_buffer_size", std::to_string(cb_buffer_size));
    set("romio_cb_read", name(cb_read));
    set("romio_cb_write", name(cb_write));
    set("romio_ds_read", name(ds_read));
    set("romio_ds_write", "disable");
    set("ind_rd_buffer_size", std::to_string(ind_rd_buffer_size));
    if (striping_unit) set("striping_unit", std::to_string(striping_unit));
    if (striping_factor) set("striping_factor", std::to_string(striping_factor));
    return info;
}

}  // namespace pfs::mpiio
