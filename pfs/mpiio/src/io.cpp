// Independent access: memory datatype -> contiguous bytes (the user buffer itself when the
// memory type is contiguous: no copy), file view -> file segments, one client call per segment.
// Reads of several small segments go through data sieving: one read of the covering span
// (at most ind_rd_buffer_size) and copies out of it. Writes are never sieved: the PFS has no
// byte-range locks, and a read-modify-write of a span could overwrite another rank's
// concurrent write into a gap (docs/mpiio.md).
// Atomic mode: the call holds a byte-range lock over the file extent it touches (the min..max
// of its segments; shared for reads, exclusive for writes) from before the first byte moves
// until the last is on the servers / read (range_lock.cpp). Non-atomic mode takes no lock.
#include <algorithm>
#include <cstring>
#include <vector>

#include "driver.hpp"
#include "pfs/client/client.hpp"

namespace pfs::mpiio {
namespace {

// Pieces at least this large are read one by one when they cover less than half the span.
constexpr std::int64_t kSieveMinPiece = 32 << 10;

// Reads segments into dst (packed, view order); *got = contiguous data bytes before EOF.
int read_segments(client::Client& c, PfsFile& f, const std::vector<Segment>& segs, char* dst,
                  std::int64_t* got) {
    *got = 0;
    const bool sieve = f.hints.ds_read != Tristate::disable;
    const std::int64_t window = std::max<std::int64_t>(f.hints.ind_rd_buffer_size, 1);
    std::vector<char> sbuf;
    std::size_t i = 0;
    std::int64_t data = 0;  // packed offset of segs[i]
    while (i < segs.size()) {
        // Group segments whose span fits the sieving window.
        std::size_t j = i + 1;
        if (sieve)
            while (j < segs.size() && segs[j].off >= segs[j - 1].off + segs[j - 1].len &&
                   segs[j].off + segs[j].len - segs[i].off <= window)
                ++j;
        if (j > i + 1) {
            // Sieving reads the gaps too: worth it for many small pieces, not for a few large
            // ones that are mostly gap (e.g. 64 KiB pieces of 4 interleaved ranks: 4x the bytes).
            std::int64_t data_in = 0;
            for (std::size_t k = i; k < j; ++k) data_in += segs[k].len;
            const std::int64_t span_in = segs[j - 1].off + segs[j - 1].len - segs[i].off;
            const auto pieces = static_cast<std::int64_t>(j - i);
            if (2 * data_in < span_in && data_in / pieces >= kSieveMinPiece) j = i + 1;
        }
        if (j == i + 1) {
            auto r = c.pread(f.fd, dst + data, static_cast<std::size_t>(segs[i].len), segs[i].off);
            if (!r) return client_error_code(r.error());
            *got += static_cast<std::int64_t>(*r);
            if (static_cast<std::int64_t>(*r) < segs[i].len) return MPI_SUCCESS;  // EOF
            data += segs[i].len;
            i = j;
            continue;
        }
        const std::int64_t start = segs[i].off;
        const std::int64_t span = segs[j - 1].off + segs[j - 1].len - start;
        sbuf.resize(static_cast<std::size_t>(span));
        auto r = c.pread(f.fd, sbuf.data(), sbuf.size(), start);
        if (!r) return client_error_code(r.error());
        const std::int64_t have = static_cast<std::int64_t>(*r);
        for (std::size_t k = i; k < j; ++k) {
            const std::int64_t rel = segs[k].off - start;
            const std::int64_t n = std::clamp<std::int64_t>(have - rel, 0, segs[k].len);
            std::memcpy(dst + data, sbuf.data() + rel, static_cast<std::size_t>(n));
            *got += n;
            if (n < segs[k].len) return MPI_SUCCESS;  // EOF
            data += segs[k].len;
        }
        i = j;
    }
    return MPI_SUCCESS;
}

int write_segments(client::Client& c, PfsFile& f, const std::vector<Segment>& segs, const char* src,
                   std::int64_t* put) {
    *put = 0;
    for (const Segment& s : segs) {
        auto r = c.pwrite(f.fd, src + *put, static_cast<std::size_t>(s.len), s.off);
        if (!r) return client_error_code(r.error());
        *put += static_cast<std::int64_t>(*r);
        if (static_cast<std::int64_t>(*r) < s.len) return MPI_ERR_IO;
    }
    return MPI_SUCCESS;
}

// The data movement of io_independent: memory type -> packed bytes -> segments.
int move_data(client::Client& c, PfsFile& f, const Transfer& t, const std::vector<Segment>& segs,
              std::int64_t* done) {
    const std::int64_t n = t.bytes();
    const bool direct = t.mem->contiguous();
    char* user = static_cast<char*>(t.buf) + (direct ? t.mem->lb : 0);
    std::vector<char> tmp;
    if (!direct) tmp.resize(static_cast<std::size_t>(n));
    char* data = direct ? user : tmp.data();
    if (t.write) {
        if (!direct) gather(t.buf, t.count, *t.mem, data, n);
        return write_segments(c, f, segs, data, done);
    }
    int rc = read_segments(c, f, segs, data, done);
    if (!direct && *done > 0) scatter(t.buf, t.count, *t.mem, data, *done);
    return rc;
}

}  // namespace

int io_independent(PfsFile& f, const Transfer& t, std::int64_t* done) {
    *done = 0;
    const std::int64_t n = t.bytes();
    if (n == 0) return MPI_SUCCESS;
    int cerr = MPI_SUCCESS;
    client::Client* c = get_client(&cerr);
    if (c == nullptr) return cerr;
    std::vector<Segment> segs;
    bool atomic = false;
    {
        std::lock_guard lk(f.mu);
        segs = map_view(f.view, t.pos, n);
        atomic = f.atomic;
    }
    if (atomic && !segs.empty()) {
        std::int64_t lo = INT64_MAX, hi = 0;
        for (const Segment& s : segs) {
            lo = std::min(lo, s.off);
            hi = std::max(hi, s.off + s.len);
        }
        std::uint64_t token = 0;
        if (int rc =
                range_lock(f, t.write ? LockMode::exclusive : LockMode::shared, lo, hi, &token);
            rc != MPI_SUCCESS)
            return rc;
        int rc = move_data(*c, f, t, segs, done);
        const int urc = range_unlock(f, token);
        return rc != MPI_SUCCESS ? rc : urc;
    }
    return move_data(*c, f, t, segs, done);
}

}  // namespace pfs::mpiio
