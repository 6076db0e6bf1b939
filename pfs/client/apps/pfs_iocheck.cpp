// pfs-iocheck: a write / fsync / read-back / verify check of the PFS with a POSIX baseline.
// Every compute rank writes its own file of --mib MiB in --xfer sized transfers, fsyncs, reads
// it back and verifies it (xxhash of everything written against everything read). Then each
// rank does the same with plain pwrite/fsync/pread on a file under --baseline-dir. Compute
// rank 0 prints aggregate MiB/s (total bytes / slowest rank's time) of both and the ratio.
// Exits 1 on any mismatch or I/O error, 2 on bad usage.
#include <fcntl.h>
#include <mpi.h>
#include <unistd.h>
#include <xxhash.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "dmapi/events/events.hpp"
#include "mpi_tools/job.hpp"
#include "pfs/client/client.hpp"

namespace {

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Content of transfer `k` of `rank`: a fast deterministic pattern, different per block.
void fill(std::vector<std::byte>& buf, int rank, std::uint64_t k) {
    std::uint64_t x = (static_cast<std::uint64_t>(rank) << 40) ^ (k * 0x9E3779B97F4A7C15ull) ^ 1;
    auto* p = reinterpret_cast<std::uint64_t*>(buf.data());
    const std::size_t words = buf.size() / 8;
    for (std::size_t i = 0; i < words; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = x;
    }
    for (std::size_t i = words * 8; i < buf.size(); ++i) buf[i] = static_cast<std::byte>(x >> i);
}

struct Phase {
    double write_s = 0, read_s = 0;
    bool ok = true;
    std::string error;
};

// Runs write+fsync then read+verify through the given functions; times are between barriers.
template <class W, class S, class R>
Phase run(MPI_Comm app, int rank, std::uint64_t bytes, std::size_t xfer, W&& wr, S&& sync, R&& rd) {
    Phase ph;
    std::vector<std::byte> buf(xfer), back(xfer);
    XXH3_state_t* hw = XXH3_createState();
    XXH3_state_t* hr = XXH3_createState();
    XXH3_64bits_reset(hw);
    XXH3_64bits_reset(hr);
    const std::uint64_t blocks = (bytes + xfer - 1) / xfer;
    MPI_Barrier(app);
    double t0 = now_s();
    for (std::uint64_t k = 0; k < blocks && ph.ok; ++k) {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(xfer, bytes - k * xfer));
        buf.resize(n);
        fill(buf, rank, k);
        XXH3_64bits_update(hw, buf.data(), n);
        std::string e = wr(buf.data(), n, k * xfer);
        if (!e.empty()) ph.ok = false, ph.error = e;
    }
    if (ph.ok) {
        std::string e = sync();
        if (!e.empty()) ph.ok = false, ph.error = e;
    }
    MPI_Barrier(app);
    ph.write_s = now_s() - t0;
    t0 = now_s();
    for (std::uint64_t k = 0; k < blocks && ph.ok; ++k) {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(xfer, bytes - k * xfer));
        back.resize(n);
        std::string e = rd(back.data(), n, k * xfer);
        if (!e.empty()) ph.ok = false, ph.error = e;
        XXH3_64bits_update(hr, back.data(), n);
    }
    MPI_Barrier(app);
    ph.read_s = now_s() - t0;
    if (ph.ok && XXH3_64bits_digest(hw) != XXH3_64bits_digest(hr)) {
        ph.ok = false;
        ph.error = "data read back differs from data written (xxhash mismatch)";
    }
    XXH3_freeState(hw);
    XXH3_freeState(hr);
    return ph;
}

}  // namespace

int main(int argc, char** argv) {
    auto& job = mpi_tools::Job::init(&argc, &argv);
    dmapi::events::start(job);
    MPI_Comm app = job.app_comm();
    int rank = 0, size = 1;
    MPI_Comm_rank(app, &rank);
    MPI_Comm_size(app, &size);

    std::uint64_t mib = 64;
    std::string xfer_arg = "1M", baseline_dir = "/dev/shm", dir = "/iocheck";
    CLI::App cli{"pfs-iocheck: write, fsync, read back and verify a file per rank; POSIX baseline"};
    cli.add_option("--mib", mib, "MiB per rank (default 64)")->check(CLI::Range(1, 1 << 20));
    cli.add_option("--xfer", xfer_arg, "transfer size: bytes or with k/M suffix (default 1M)");
    cli.add_option("--baseline-dir", baseline_dir, "POSIX baseline directory (default /dev/shm)");
    cli.add_option("--dir", dir, "PFS directory for the files (default /iocheck)");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (rank == 0) cli.exit(e);
        job.finish(e.get_exit_code() == 0 ? 0 : 2);
    }
    std::size_t xfer = 0;
    {
        char* end = nullptr;
        const unsigned long long v = std::strtoull(xfer_arg.c_str(), &end, 10);
        std::size_t mult = 1;
        if (end != nullptr && (*end == 'k' || *end == 'K'))
            mult = 1024, ++end;
        else if (end != nullptr && (*end == 'm' || *end == 'M'))
            mult = 1 << 20, ++end;
        if (end == nullptr || *end != '\0' || v == 0 || v > (256ull << 20) / mult) {
            if (rank == 0) std::fprintf(stderr, "pfs-iocheck: bad --xfer '%s'\n", xfer_arg.c_str());
            job.finish(2);
        }
        xfer = static_cast<std::size_t>(v) * mult;
    }
    const std::uint64_t bytes = mib << 20;

    pfs::client::Client fs(job);
    if (fs.connect_error() != 0) {
        std::fprintf(stderr, "pfs-iocheck: rank %d: servers not reachable: %s\n", rank,
                     std::strerror(fs.connect_error()));
        job.finish(1);
    }
    if (rank == 0) {
        auto r = fs.mkdir(dir);
        if (!r && r.error() != EEXIST) {
            std::fprintf(stderr, "pfs-iocheck: mkdir %s: %s\n", dir.c_str(),
                         std::strerror(r.error()));
            MPI_Abort(app, 1);
        }
    }
    MPI_Barrier(app);

    // ---- PFS ----------------------------------------------------------------------------------
    const std::string path = dir + "/rank-" + std::to_string(rank);
    auto fd = fs.open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    Phase pfs_ph;
    if (!fd) {
        pfs_ph.ok = false;
        pfs_ph.error = "open " + path + ": " + std::strerror(fd.error());
        MPI_Barrier(app), MPI_Barrier(app), MPI_Barrier(app);  // keep the others' barriers
    } else {
        pfs_ph = run(
            app, rank, bytes, xfer,
            [&](const std::byte* p, std::size_t n, std::uint64_t off) -> std::string {
                auto r = fs.pwrite(*fd, p, n, static_cast<std::int64_t>(off));
                if (!r) return std::string("pwrite: ") + std::strerror(r.error());
                return *r == n ? "" : "short pwrite";
            },
            [&]() -> std::string {
                auto r = fs.fsync(*fd);
                return r ? "" : std::string("fsync: ") + std::strerror(r.error());
            },
            [&](std::byte* p, std::size_t n, std::uint64_t off) -> std::string {
                auto r = fs.pread(*fd, p, n, static_cast<std::int64_t>(off));
                if (!r) return std::string("pread: ") + std::strerror(r.error());
                return *r == n ? "" : "short pread";
            });
        (void)fs.close(*fd);
        (void)fs.unlink(path);
    }

    // ---- POSIX baseline -------------------------------------------------------------------------
    const std::string bpath =
        baseline_dir + "/pfs-iocheck-" + std::to_string(getpid()) + "-" + std::to_string(rank);
    const int bfd = ::open(bpath.c_str(), O_CREAT | O_TRUNC | O_RDWR, 0600);
    Phase base_ph;
    if (bfd < 0) {
        base_ph.ok = false;
        base_ph.error = "open " + bpath + ": " + std::strerror(errno);
        MPI_Barrier(app), MPI_Barrier(app), MPI_Barrier(app);
    } else {
        base_ph = run(
            app, rank, bytes, xfer,
            [&](const std::byte* p, std::size_t n, std::uint64_t off) -> std::string {
                const ssize_t r = ::pwrite(bfd, p, n, static_cast<off_t>(off));
                return r == static_cast<ssize_t>(n)
                           ? ""
                           : std::string("pwrite: ") + std::strerror(errno);
            },
            [&]() -> std::string {
                return ::fsync(bfd) == 0 ? "" : std::string("fsync: ") + std::strerror(errno);
            },
            [&](std::byte* p, std::size_t n, std::uint64_t off) -> std::string {
                const ssize_t r = ::pread(bfd, p, n, static_cast<off_t>(off));
                return r == static_cast<ssize_t>(n) ? ""
                                                    : std::string("pread: ") + std::strerror(errno);
            });
        ::close(bfd);
        ::unlink(bpath.c_str());
    }

    // ---- report ---------------------------------------------------------------------------------
    for (const auto* ph : {&pfs_ph, &base_ph})
        if (!ph->ok)
            std::fprintf(stderr, "pfs-iocheck: rank %d: %s: %s\n", rank,
                         ph == &pfs_ph ? "PFS" : "POSIX", ph->error.c_str());
    int ok = pfs_ph.ok && base_ph.ok ? 1 : 0, all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, app);
    if (rank == 0) {
        const double total_mib = static_cast<double>(mib) * size;
        auto bw = [&](double s) { return s > 0 ? total_mib / s : 0.0; };
        const double pw = bw(pfs_ph.write_s), pr = bw(pfs_ph.read_s);
        const double bw_w = bw(base_ph.write_s), bw_r = bw(base_ph.read_s);
        std::printf("pfs-iocheck: %d ranks x %llu MiB, xfer %zu bytes, %u data servers\n", size,
                    static_cast<unsigned long long>(mib), xfer, fs.data_servers());
        std::printf("  %-22s %12s %12s\n", "", "write MiB/s", "read MiB/s");
        std::printf("  %-22s %12.1f %12.1f\n", "PFS (write+fsync)", pw, pr);
        std::printf("  %-22s %12.1f %12.1f\n", ("POSIX " + baseline_dir).c_str(), bw_w, bw_r);
        std::printf("  %-22s %12.3f %12.3f\n", "ratio PFS/POSIX", bw_w > 0 ? pw / bw_w : 0.0,
                    bw_r > 0 ? pr / bw_r : 0.0);
        std::printf("pfs-iocheck: %s\n", all_ok ? "verify OK" : "FAILED");
        std::fflush(stdout);
    }
    job.finish(all_ok ? 0 : 1);
}
