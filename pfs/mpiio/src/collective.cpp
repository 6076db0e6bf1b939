// Collective access (*_all): two-phase I/O with aggregator ranks, as ROMIO's ad_write_coll.c /
// ad_read_coll.c. The accessed file range [min, max) of all ranks is split into cb_nodes file
// domains (stripe-aligned), one per aggregator rank; each domain is processed in windows of
// cb_buffer_size bytes. Per round, every rank sends each aggregator the (offset, length) pieces
// of its access that fall in that aggregator's window and, for writes, their data; the
// aggregator writes the merged runs (reads the span once and sends the pieces back).
//
// Legal views have ascending segments, so the data of one window is one contiguous range of a
// rank's packed buffer: alltoallv moves it straight from/to that buffer.
//
// romio_cb_write / romio_cb_read = automatic (the default) uses two-phase only when the ranks'
// ranges interleave, as ROMIO does; otherwise every rank accesses its own range independently.
// In atomic mode every rank accesses its own range independently, under its byte-range lock.
// Argument errors are agreed before any data moves (the first allgather). Two-phase then agrees
// on the outcome (one error class for all: every rank's data went through the aggregators); an
// independent access returns its own outcome, as ROMIO's does, without a second collective: a
// rank's result is about its own data, and a rank that finished waits for no other.
#include <algorithm>
#include <climits>
#include <cstring>
#include <vector>

#include "driver.hpp"
#include "pfs/client/client.hpp"

namespace pfs::mpiio {
namespace {

struct Piece {
    std::int64_t off, len;
};

std::int64_t round_up(std::int64_t v, std::int64_t a) {
    return (v + a - 1) / a * a;
}

}  // namespace

int io_collective(PfsFile& f, const Transfer& t, std::int64_t* done, int arg_rc) {
    *done = 0;
    const std::int64_t n = arg_rc == MPI_SUCCESS ? t.bytes() : 0;
    int cerr = MPI_SUCCESS;
    client::Client* c = get_client(&cerr);
    std::vector<Segment> segs;
    Hints h;
    bool atomic = false;
    {
        std::lock_guard lk(f.mu);
        if (n > 0) segs = map_view(f.view, t.pos, n);
        h = f.hints;
        atomic = f.atomic;  // set collectively: the same on every rank
    }
    // One allgather gives every rank the same facts, so every rank takes the same branch:
    // accessed range, whether the access is non-contiguous, whether it fits int displacements,
    // the collective hints (rank 0's win: ranks given different hints still agree) and the
    // argument check's verdict (the agreement on argument errors rides on the same call).
    const Tristate my_mode = t.write ? h.cb_write : h.cb_read;
    int arg_cls = MPI_SUCCESS;
    std::int64_t mine[8] = {INT64_MAX,
                            INT64_MIN,
                            segs.size() > 1 ? 1 : 0,
                            n < INT_MAX ? 1 : 0,
                            h.cb_nodes,
                            h.cb_buffer_size,
                            static_cast<std::int64_t>(my_mode),
                            0};
    for (const Segment& s : segs) {
        mine[0] = std::min(mine[0], s.off);
        mine[1] = std::max(mine[1], s.off + s.len);
    }
    if (arg_rc != MPI_SUCCESS) PMPI_Error_class(arg_rc, &arg_cls);
    mine[7] = arg_cls;
    constexpr int kFacts = 8;
    std::vector<std::int64_t> all(kFacts * static_cast<std::size_t>(f.nprocs));
    PMPI_Allgather(mine, kFacts, MPI_INT64_T, all.data(), kFacts, MPI_INT64_T, f.comm);
    h.cb_nodes = static_cast<int>(all[4]);
    h.cb_buffer_size = all[5];
    const auto mode = static_cast<Tristate>(all[6]);
    for (int r = 0; r < f.nprocs; ++r)
        if (const std::int64_t cls = all[kFacts * static_cast<std::size_t>(r) + 7]; cls != 0)
            return arg_rc != MPI_SUCCESS ? arg_rc : static_cast<int>(cls);
    std::int64_t glo = INT64_MAX, ghi = INT64_MIN;
    bool noncontig = false, fits_all = true;
    std::vector<std::pair<std::int64_t, std::int64_t>> ranges;
    for (int r = 0; r < f.nprocs; ++r) {
        const std::int64_t* e = &all[kFacts * static_cast<std::size_t>(r)];
        noncontig = noncontig || e[2] != 0;
        fits_all = fits_all && e[3] != 0;
        if (e[0] >= e[1]) continue;
        ranges.emplace_back(e[0], e[1]);
        glo = std::min(glo, e[0]);
        ghi = std::max(ghi, e[1]);
    }
    std::sort(ranges.begin(), ranges.end());
    bool interleaved = false;
    for (std::size_t k = 1; k < ranges.size(); ++k)
        if (ranges[k].first < ranges[k - 1].second) interleaved = true;
    // The client is there on all ranks or on none (the open agreed on it). Atomic mode: every
    // rank accesses its own part independently under its own byte-range lock (io_independent),
    // so no rank holds a lock while it waits for another in an exchange (no deadlock), and each
    // rank's part is atomic with respect to every other conflicting access.
    const bool two_phase =
        !atomic && c != nullptr && fits_all && !ranges.empty() &&
        (mode == Tristate::enable || (mode == Tristate::automatic && (interleaved || noncontig)));
    if (!two_phase || c == nullptr) {
        // No client: every rank got the same open-time error (the open agreed on it).
        return c == nullptr ? cerr : io_independent(f, t, done);
    }

    // ---- two-phase --------------------------------------------------------------------------
    const std::int64_t align =
        std::max<std::int64_t>(1, static_cast<std::int64_t>(c->fs_info().default_stripe_size));
    int naggs = h.cb_nodes > 0 ? h.cb_nodes
                               : static_cast<int>(std::max<std::uint32_t>(1, c->data_servers()));
    naggs = std::clamp(naggs, 1, f.nprocs);
    const std::int64_t base = glo - glo % align;
    const std::int64_t dsize = round_up((ghi - base + naggs - 1) / naggs, align);
    const std::int64_t cb = std::max<std::int64_t>(h.cb_buffer_size, 4096);
    const std::int64_t rounds = (dsize + cb - 1) / cb;
    auto agg_rank = [&](int k) {
        return static_cast<int>(static_cast<std::int64_t>(k) * f.nprocs / naggs);
    };
    int my_agg = -1;
    for (int k = 0; k < naggs; ++k)
        if (agg_rank(k) == f.rank) my_agg = k;
    auto window = [&](int k, std::int64_t r) {
        const std::int64_t dlo = std::max(glo, base + k * dsize);
        const std::int64_t dhi = std::min(ghi, base + (k + 1) * dsize);
        const std::int64_t lo = dlo + r * cb;
        return std::pair<std::int64_t, std::int64_t>{lo, std::min(lo + cb, dhi)};
    };

    // Packed data (the user buffer itself when the memory type is contiguous).
    const bool direct = t.mem->contiguous();
    std::vector<char> tmp;
    if (!direct) tmp.resize(static_cast<std::size_t>(n));
    char* data = direct ? static_cast<char*>(t.buf) + t.mem->lb : tmp.data();
    if (t.write && !direct) gather(t.buf, t.count, *t.mem, data, n);
    std::vector<std::int64_t> seg_data(segs.size() + 1, 0);  // packed offset of each segment
    for (std::size_t i = 0; i < segs.size(); ++i) seg_data[i + 1] = seg_data[i] + segs[i].len;

    const auto P = static_cast<std::size_t>(f.nprocs);
    int rc = MPI_SUCCESS;
    std::int64_t eof_seen = INT64_MAX;
    std::vector<char> abuf;
    for (std::int64_t r = 0; r < rounds; ++r) {
        std::vector<int> cnt(2 * P, 0), rcnt(2 * P, 0);  // per peer: pieces, bytes
        std::vector<int> mcnt(P), mdis(P), dcnt(P), ddis(P);
        std::vector<std::int64_t> meta;
        for (int k = 0; k < naggs; ++k) {
            const auto [wlo, whi] = window(k, r);
            const auto dest = static_cast<std::size_t>(agg_rank(k));
            mdis[dest] = static_cast<int>(meta.size());
            if (wlo < whi) {
                auto it = std::upper_bound(
                    segs.begin(), segs.end(), wlo,
                    [](std::int64_t v, const Segment& s) { return v < s.off + s.len; });
                bool first = true;
                for (auto i = static_cast<std::size_t>(it - segs.begin());
                     i < segs.size() && segs[i].off < whi; ++i) {
                    const std::int64_t lo = std::max(segs[i].off, wlo);
                    const std::int64_t hi = std::min(segs[i].off + segs[i].len, whi);
                    if (first) ddis[dest] = static_cast<int>(seg_data[i] + (lo - segs[i].off));
                    first = false;
                    meta.push_back(lo);
                    meta.push_back(hi - lo);
                    cnt[2 * dest] += 1;
                    cnt[2 * dest + 1] += static_cast<int>(hi - lo);
                }
            }
            mcnt[dest] = 2 * cnt[2 * dest];
            dcnt[dest] = cnt[2 * dest + 1];
        }
        PMPI_Alltoall(cnt.data(), 2, MPI_INT, rcnt.data(), 2, MPI_INT, f.comm);
        std::vector<int> rmcnt(P), rmdis(P), rdcnt(P), rddis(P);
        int mt = 0, dt = 0;
        for (std::size_t p = 0; p < P; ++p) {
            rmcnt[p] = 2 * rcnt[2 * p];
            rmdis[p] = mt;
            mt += rmcnt[p];
            rdcnt[p] = rcnt[2 * p + 1];
            rddis[p] = dt;
            dt += rdcnt[p];
        }
        std::vector<std::int64_t> rmeta(static_cast<std::size_t>(mt));
        PMPI_Alltoallv(meta.data(), mcnt.data(), mdis.data(), MPI_INT64_T, rmeta.data(),
                       rmcnt.data(), rmdis.data(), MPI_INT64_T, f.comm);
        std::vector<char> rdata(static_cast<std::size_t>(dt));
        std::pair<std::int64_t, std::int64_t> w{0, 0};
        if (my_agg >= 0) w = window(my_agg, r);
        if (t.write) {
            PMPI_Alltoallv(data, dcnt.data(), ddis.data(), MPI_BYTE, rdata.data(), rdcnt.data(),
                           rddis.data(), MPI_BYTE, f.comm);
            if (my_agg >= 0 && mt > 0) {
                abuf.resize(static_cast<std::size_t>(w.second - w.first));
                std::vector<Piece> cover;
                std::int64_t at = 0;
                for (std::size_t i = 0; i < rmeta.size(); i += 2) {
                    std::memcpy(abuf.data() + (rmeta[i] - w.first), rdata.data() + at,
                                static_cast<std::size_t>(rmeta[i + 1]));
                    at += rmeta[i + 1];
                    cover.push_back({rmeta[i], rmeta[i + 1]});
                }
                std::sort(cover.begin(), cover.end(),
                          [](const Piece& a, const Piece& b) { return a.off < b.off; });
                std::vector<Piece> runs;
                for (const Piece& p : cover) {
                    if (!runs.empty() && p.off <= runs.back().off + runs.back().len)
                        runs.back().len =
                            std::max(runs.back().len, p.off + p.len - runs.back().off);
                    else
                        runs.push_back(p);
                }
                for (const Piece& p : runs) {
                    if (rc != MPI_SUCCESS) break;
                    auto res = c->pwrite(f.fd, abuf.data() + (p.off - w.first),
                                         static_cast<std::size_t>(p.len), p.off);
                    if (!res) rc = client_error_code(res.error());
                }
            }
        } else {
            if (my_agg >= 0 && mt > 0) {
                std::int64_t lo = INT64_MAX, hi = INT64_MIN;
                for (std::size_t i = 0; i < rmeta.size(); i += 2) {
                    lo = std::min(lo, rmeta[i]);
                    hi = std::max(hi, rmeta[i] + rmeta[i + 1]);
                }
                abuf.assign(static_cast<std::size_t>(hi - lo), 0);
                if (rc == MPI_SUCCESS) {
                    auto res = c->pread(f.fd, abuf.data(), abuf.size(), lo);
                    if (!res)
                        rc = client_error_code(res.error());
                    else if (static_cast<std::int64_t>(*res) < hi - lo)
                        eof_seen = std::min(eof_seen, lo + static_cast<std::int64_t>(*res));
                }
                std::int64_t at = 0;
                for (std::size_t i = 0; i < rmeta.size(); i += 2) {
                    std::memcpy(rdata.data() + at, abuf.data() + (rmeta[i] - lo),
                                static_cast<std::size_t>(rmeta[i + 1]));
                    at += rmeta[i + 1];
                }
            }
            PMPI_Alltoallv(rdata.data(), rdcnt.data(), rddis.data(), MPI_BYTE, data, dcnt.data(),
                           ddis.data(), MPI_BYTE, f.comm);
        }
    }
    // One allreduce agrees on errors (the lowest failing rank, whose class it then broadcasts)
    // and on the end of file any aggregator saw.
    std::int64_t verdict[2] = {rc != MPI_SUCCESS ? f.rank : INT64_MAX, eof_seen};
    PMPI_Allreduce(MPI_IN_PLACE, verdict, 2, MPI_INT64_T, MPI_MIN, f.comm);
    if (verdict[0] != INT64_MAX) {
        int cls = MPI_ERR_IO;
        if (rc != MPI_SUCCESS) PMPI_Error_class(rc, &cls);
        PMPI_Bcast(&cls, 1, MPI_INT, static_cast<int>(verdict[0]), f.comm);
        return rc != MPI_SUCCESS ? rc : cls;
    }
    eof_seen = verdict[1];
    if (t.write) {
        *done = n;
        return MPI_SUCCESS;
    }
    std::int64_t got = 0;
    for (const Segment& s : segs) {
        if (s.off + s.len <= eof_seen) {
            got += s.len;
            continue;
        }
        got += std::max<std::int64_t>(0, eof_seen - s.off);
        break;
    }
    *done = got;
    if (!direct && got > 0) scatter(t.buf, t.count, *t.mem, data, got);
    return MPI_SUCCESS;
}

}  // namespace pfs::mpiio
