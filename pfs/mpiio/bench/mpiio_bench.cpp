// pfs-mpiio-bench: IOR-style MPI-IO through the driver against Open MPI's own MPI-IO on a local
// directory, in the same job. For each target (pfs:<dir>, then the local directory) and each
// mode it writes (open, transfers, MPI_File_sync, close) and reads back (open, transfers,
// close), timed between barriers like IOR's total(s), and verifies the data read.
//   fpp      file per process (MPI_COMM_SELF), independent write_at/read_at
//   shared   one file, rank r owns block r (IOR segment layout), independent write_at/read_at
//   coll     as shared with write_at_all/read_at_all
// Output: one line per (target, mode, phase) "BENCH target mode phase MiB/s" and a JSON line
// "BENCH-JSON {...}" with the raw numbers and the pfs/local ratios.
#include <fcntl.h>
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "mpi_tools/job.hpp"
#include "pfs/client/client.hpp"
#include "pfs/mpiio/mpiio.hpp"

namespace {

long g_piece = 64 << 10;  // strided modes: bytes per interleaved piece

struct Result {
    double write_mib_s = 0, read_mib_s = 0;
    bool ok = true;
};

void fill(std::vector<char>& b, int rank, long k) {
    auto* p = reinterpret_cast<std::uint64_t*>(b.data());
    std::uint64_t x =
        (static_cast<std::uint64_t>(rank) << 32) ^ static_cast<std::uint64_t>(k) ^ 0x9E37;
    for (std::size_t i = 0; i < b.size() / 8; ++i) p[i] = x + i;
}

// The same pattern straight through the native client the driver uses: the driver's overhead
// is the pfs / native ratio. Collective mode has no native equivalent (independent is used).
Result run_native(MPI_Comm app, const std::string& mode, long block, long xfer) {
    int rank = 0, size = 1;
    MPI_Comm_rank(app, &rank);
    MPI_Comm_size(app, &size);
    auto* c = pfs::mpiio::native_client();
    Result r;
    if (c == nullptr) {
        r.ok = false;
        return r;
    }
    const bool fpp = mode == "fpp", strided = mode.rfind("strided", 0) == 0;
    const std::string name = "/native-" + mode + (fpp ? "-" + std::to_string(rank) : "");
    const long origin = fpp ? 0 : static_cast<long>(rank) * block;
    std::vector<char> buf(static_cast<std::size_t>(xfer)), back(buf.size());
    auto phase = [&](bool write) {
        MPI_Barrier(app);
        const double t0 = MPI_Wtime();
        if (write && !fpp && rank == 0) {
            auto fd = c->open(name, O_CREAT | O_WRONLY);
            if (fd) (void)c->close(*fd);
        }
        if (write && !fpp) MPI_Barrier(app);
        auto fd = c->open(name, write ? (fpp ? O_CREAT | O_WRONLY : O_WRONLY) : O_RDONLY);
        if (!fd) {
            r.ok = false;
            return 0.0;
        }
        for (long k = 0; k < block / xfer; ++k) {
            fill(buf, rank, k);
            // Strided: the rank's pieces interleave with the other ranks' (what the view maps).
            const long step = strided ? g_piece : xfer;
            for (long j = 0; j < xfer; j += step) {
                const long v = k * xfer + j;
                const long off =
                    strided ? (v / g_piece * size + rank) * g_piece + v % g_piece : origin + v;
                if (write) {
                    if (!c->pwrite(*fd, buf.data() + j, static_cast<std::size_t>(step), off))
                        r.ok = false;
                } else if (!c->pread(*fd, back.data() + j, static_cast<std::size_t>(step), off)) {
                    r.ok = false;
                }
            }
            if (!write && std::memcmp(buf.data(), back.data(), buf.size()) != 0) r.ok = false;
        }
        if (write) {
            MPI_Barrier(app);
            if (fpp || rank == 0) (void)c->fsync(*fd);
        }
        (void)c->close(*fd);
        MPI_Barrier(app);
        return MPI_Wtime() - t0;
    };
    const double tw = phase(true), tr = phase(false);
    const double mib = static_cast<double>(block) * size / (1 << 20);
    r.write_mib_s = tw > 0 ? mib / tw : 0;
    r.read_mib_s = tr > 0 ? mib / tr : 0;
    if (rank == 0 || fpp) (void)c->unlink(name);
    return r;
}

Result run(MPI_Comm app, const std::string& base, const std::string& mode, long block, long xfer) {
    int rank = 0, size = 1;
    MPI_Comm_rank(app, &rank);
    MPI_Comm_size(app, &size);
    const bool fpp = mode == "fpp", coll = mode == "coll" || mode == "strided_coll";
    const bool strided = mode.rfind("strided", 0) == 0;
    const std::string name = base + "/bench-" + mode + (fpp ? "-" + std::to_string(rank) : "");
    MPI_Comm comm = fpp ? MPI_COMM_SELF : app;
    const MPI_Offset origin = fpp || strided ? 0 : static_cast<MPI_Offset>(rank) * block;
    std::vector<char> buf(static_cast<std::size_t>(xfer)), back(buf.size());
    Result r;
    // Strided: rank r owns pieces r, r+P, ... of g_piece bytes (IOR --mpiio.useFileView style).
    MPI_Datatype piece = MPI_DATATYPE_NULL, tile = MPI_DATATYPE_NULL;
    if (strided) {
        MPI_Type_contiguous(static_cast<int>(g_piece), MPI_BYTE, &piece);
        MPI_Type_create_resized(piece, 0, static_cast<MPI_Aint>(g_piece) * size, &tile);
        MPI_Type_commit(&tile);
        MPI_Type_free(&piece);
    }
    auto phase = [&](bool write) {
        MPI_Barrier(app);
        const double t0 = MPI_Wtime();
        MPI_File fh;
        int amode = write ? MPI_MODE_CREATE | MPI_MODE_WRONLY : MPI_MODE_RDONLY;
        if (MPI_File_open(comm, name.c_str(), amode, MPI_INFO_NULL, &fh) != MPI_SUCCESS) {
            r.ok = false;
            return 0.0;
        }
        if (strided && MPI_File_set_view(fh, static_cast<MPI_Offset>(rank) * g_piece, MPI_BYTE,
                                         tile, "native", MPI_INFO_NULL) != MPI_SUCCESS)
            r.ok = false;
        for (long k = 0; k < block / xfer; ++k) {
            const MPI_Offset off = origin + k * xfer;
            MPI_Status st;
            int rc;
            if (write) {
                fill(buf, rank, k);
                rc = coll ? MPI_File_write_at_all(fh, off, buf.data(), static_cast<int>(xfer),
                                                  MPI_BYTE, &st)
                          : MPI_File_write_at(fh, off, buf.data(), static_cast<int>(xfer), MPI_BYTE,
                                              &st);
            } else {
                rc = coll ? MPI_File_read_at_all(fh, off, back.data(), static_cast<int>(xfer),
                                                 MPI_BYTE, &st)
                          : MPI_File_read_at(fh, off, back.data(), static_cast<int>(xfer), MPI_BYTE,
                                             &st);
                fill(buf, rank, k);
                if (std::memcmp(buf.data(), back.data(), buf.size()) != 0) r.ok = false;
            }
            if (rc != MPI_SUCCESS) r.ok = false;
        }
        if (write) MPI_File_sync(fh);
        MPI_File_close(&fh);
        MPI_Barrier(app);
        return MPI_Wtime() - t0;
    };
    const double tw = phase(true), tr = phase(false);
    if (tile != MPI_DATATYPE_NULL) MPI_Type_free(&tile);
    const double mib = static_cast<double>(block) * size / (1 << 20);
    r.write_mib_s = tw > 0 ? mib / tw : 0;
    r.read_mib_s = tr > 0 ? mib / tr : 0;
    int ok = r.ok ? 1 : 0;
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, app);
    r.ok = ok != 0;
    if (rank == 0 || fpp) MPI_File_delete(name.c_str(), MPI_INFO_NULL);
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    auto& job = mpi_tools::Job::init(&argc, &argv);
    MPI_Comm app = job.app_comm();
    int rank = 0, size = 1;
    MPI_Comm_rank(app, &rank);
    MPI_Comm_size(app, &size);
    std::string local = "/dev/shm", label = "ompio";
    long mib = 64, xfer_kib = 1024;
    int reps = 3;
    CLI::App cli{"pfs-mpiio-bench: MPI-IO through the pfs driver vs Open MPI's MPI-IO"};
    cli.add_option("--local-dir", local, "baseline directory (default /dev/shm)");
    cli.add_option("--mib", mib, "MiB per rank (default 64)");
    cli.add_option("--xfer-kib", xfer_kib, "transfer size in KiB (default 1024)");
    cli.add_option("--reps", reps, "repetitions, best kept (default 3)");
    long piece_kib = 64;
    cli.add_option("--piece-kib", piece_kib,
                   "strided modes: interleaved piece in KiB (default 64)");
    cli.add_option("--label", label, "name of the baseline MPI-IO (ompio, romio321)");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (rank == 0) cli.exit(e);
        job.finish(2);
    }
    const long block = mib << 20, xfer = xfer_kib << 10;
    g_piece = piece_kib << 10;
    if (g_piece <= 0 || xfer % g_piece != 0) {
        if (rank == 0)
            std::fprintf(stderr, "pfs-mpiio-bench: --xfer-kib must be a multiple of --piece-kib\n");
        job.finish(2);
    }
    bool all_ok = true;
    std::string json = "{\"ranks\":" + std::to_string(size) +
                       ",\"mib_per_rank\":" + std::to_string(mib) +
                       ",\"xfer_kib\":" + std::to_string(xfer_kib) + ",\"baseline\":\"" + label +
                       "\",\"results\":[";
    bool first = true;
    for (const std::string mode : {"fpp", "shared", "coll", "strided", "strided_coll"}) {
        std::map<std::string, Result> best;
        for (int i = 0; i < reps; ++i)
            for (const std::string target : {"pfs", "native", "local"}) {
                auto r = target == "native"
                             ? run_native(app, mode, block, xfer)
                             : run(app, target == "pfs" ? "pfs:/" : local, mode, block, xfer);
                all_ok = all_ok && r.ok;
                auto& b = best[target];
                b.write_mib_s = std::max(b.write_mib_s, r.write_mib_s);
                b.read_mib_s = std::max(b.read_mib_s, r.read_mib_s);
            }
        const auto& p = best["pfs"];
        const auto& l = best["local"];
        const auto& n = best["native"];
        if (rank == 0) {
            std::printf(
                "BENCH %-12s write  pfs %8.1f  native %8.1f  %s %8.1f MiB/s  "
                "pfs/%s %.3f  pfs/native %.3f\n",
                mode.c_str(), p.write_mib_s, n.write_mib_s, label.c_str(), l.write_mib_s,
                label.c_str(), p.write_mib_s / l.write_mib_s, p.write_mib_s / n.write_mib_s);
            std::printf(
                "BENCH %-12s read   pfs %8.1f  native %8.1f  %s %8.1f MiB/s  "
                "pfs/%s %.3f  pfs/native %.3f\n",
                mode.c_str(), p.read_mib_s, n.read_mib_s, label.c_str(), l.read_mib_s,
                label.c_str(), p.read_mib_s / l.read_mib_s, p.read_mib_s / n.read_mib_s);
            char row[512];
            std::snprintf(row, sizeof(row),
                          "%s{\"mode\":\"%s\",\"pfs_write\":%.1f,\"pfs_read\":%.1f,"
                          "\"native_write\":%.1f,\"native_read\":%.1f,"
                          "\"base_write\":%.1f,\"base_read\":%.1f,\"ratio_write\":%.4f,"
                          "\"ratio_read\":%.4f}",
                          first ? "" : ",", mode.c_str(), p.write_mib_s, p.read_mib_s,
                          n.write_mib_s, n.read_mib_s, l.write_mib_s, l.read_mib_s,
                          p.write_mib_s / l.write_mib_s, p.read_mib_s / l.read_mib_s);
            json += row;
            first = false;
        }
    }
    if (rank == 0) {
        std::printf("BENCH-JSON %s],\"verified\":%s}\n", json.c_str(), all_ok ? "true" : "false");
        std::fflush(stdout);
    }
    job.finish(all_ok ? 0 : 1);
}
