// File views: view data bytes <-> absolute file offsets. The filetype tiles the file from the
// displacement by its extent (not its size: a RESIZED filetype decides the tiling).
#include <algorithm>

#include "driver.hpp"

namespace pfs::mpiio {

namespace {
bool owned(MPI_Datatype t) {
    int ni = 0, na = 0, nt = 0, c = MPI_COMBINER_NAMED;
    PMPI_Type_get_envelope(t, &ni, &na, &nt, &c);
    return c != MPI_COMBINER_NAMED;
}
}  // namespace

void release_view(View& v) {
    if (v.etype != MPI_DATATYPE_NULL && owned(v.etype)) PMPI_Type_free(&v.etype);
    if (v.filetype != MPI_DATATYPE_NULL && owned(v.filetype)) PMPI_Type_free(&v.filetype);
    v.etype = v.filetype = MPI_BYTE;
}

void set_default_view(View& v) {
    release_view(v);
    v.disp = 0;
    v.datarep = "native";
    v.esize = 1;
    v.ft = flatten(MPI_BYTE);
    v.prefix = {0};
}

std::vector<Segment> map_view(const View& v, std::int64_t pos, std::int64_t n) {
    std::vector<Segment> out;
    if (n <= 0) return out;
    const Flat& ft = *v.ft;
    auto add = [&out](std::int64_t off, std::int64_t len) {
        if (!out.empty() && out.back().off + out.back().len == off)
            out.back().len += len;
        else
            out.push_back({off, len});
    };
    if (ft.contiguous()) {
        add(v.disp + ft.lb + pos, n);
        return out;
    }
    std::int64_t tile = pos / ft.size;
    std::int64_t within = pos % ft.size;
    auto it = std::upper_bound(v.prefix.begin(), v.prefix.end(), within);
    std::size_t b = static_cast<std::size_t>(it - v.prefix.begin()) - 1;
    while (n > 0) {
        const Block& blk = ft.blocks[b];
        const std::int64_t in_blk = within - v.prefix[b];
        const std::int64_t take = std::min(blk.len - in_blk, n);
        add(v.disp + tile * ft.extent + blk.off + in_blk, take);
        n -= take;
        within += take;
        if (++b == ft.blocks.size()) {
            b = 0;
            ++tile;
            within = 0;
        }
    }
    return out;
}

std::int64_t view_bytes_before(const View& v, std::int64_t off) {
    const Flat& ft = *v.ft;
    const std::int64_t rel = off - v.disp;
    if (rel <= 0 || ft.size == 0) return 0;
    if (ft.contiguous()) return std::max<std::int64_t>(0, rel - ft.lb);
    const std::int64_t ext = ft.extent > 0 ? ft.extent : 1;
    const std::int64_t tile = rel / ext;
    const std::int64_t rem = rel - tile * ext;
    std::int64_t bytes = tile * ft.size;
    for (const Block& b : ft.blocks) bytes += std::clamp<std::int64_t>(rem - b.off, 0, b.len);
    return bytes;
}

}  // namespace pfs::mpiio
