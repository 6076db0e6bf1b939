// The IOR test driver (see ior_test.hpp). File layout as IOR's segmented layout: in a shared
// file, segment s of task k starts at s * (block * tasks) + k * block; with -F, task k's file
// holds its segments back to back.
#include "ior_test.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "pattern.hpp"

namespace pfs_ior {
namespace {

FatalHandler g_fatal = nullptr;

double now_s() {
    // CLOCK_MONOTONIC: one clock for all ranks of a node, so min(start)/max(end) over the tasks
    // of a one-node job are comparable (as IOR's MPI_Wtime-based timers after a barrier).
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void check(const Status& s) {
    if (!s) fatal(s.msg);
}

// The task whose data `rank` handles in a phase: itself when writing, and for reading the one
// -C (rank + Q) or -Z (a permutation every task draws from the same seed) names.
int source_task(const Params& p, int rank, int tasks, Access a) {
    if (a == Access::write) return rank;
    if (p.reorder) return (rank + p.reorder_offset) % tasks;
    if (p.reorder_random) {
        std::vector<int> perm(static_cast<std::size_t>(tasks));
        std::iota(perm.begin(), perm.end(), 0);
        std::mt19937 gen(p.reorder_seed);
        std::shuffle(perm.begin(), perm.end(), gen);
        return perm[static_cast<std::size_t>(rank)];
    }
    return rank;
}

std::uint64_t transfer_offset(const Params& p, int tasks, int task, std::uint64_t k) {
    const std::uint64_t per_block = p.block_size / p.transfer_size;
    const std::uint64_t seg = k / per_block, j = k % per_block;
    if (p.file_per_proc) return seg * p.block_size + j * p.transfer_size;
    return seg * p.block_size * static_cast<std::uint64_t>(tasks) +
           static_cast<std::uint64_t>(task) * p.block_size + j * p.transfer_size;
}

std::unique_ptr<File> open_file(const Params& p, const TestContext& ctx, const std::string& path,
                                Access a) {
    OpenHints h;
    h.comm = p.file_per_proc ? MPI_COMM_SELF : ctx.comm;
    h.collective = p.collective;
    h.file_bytes = p.file_per_proc ? p.block_size * p.segments : p.aggregate_bytes(ctx.tasks);
    std::unique_ptr<File> f;
    if (a == Access::read) {
        check(ctx.backend->open(path, a, h, &f));
    } else if (p.file_per_proc || ctx.backend->collective_open()) {
        check(ctx.backend->create(path, h, &f));
    } else {
        // A shared file is created by task 0 first, as IOR does: concurrent creates of one
        // name are not what the benchmark measures.
        if (ctx.rank == 0) check(ctx.backend->create(path, h, &f));
        MPI_Barrier(ctx.comm);
        if (ctx.rank != 0) check(ctx.backend->create(path, h, &f));
    }
    return f;
}

// Removes the test files (each task its own with -F, task 0 the shared one). Missing is fine.
void remove_files(const Params& p, const TestContext& ctx) {
    MPI_Barrier(ctx.comm);
    if (p.file_per_proc || ctx.rank == 0) {
        Status s = ctx.backend->remove(task_file(p, ctx.path, ctx.rank));
        if (!s && s.err != ENOENT) fatal(s.msg);
    }
    MPI_Barrier(ctx.comm);
}

// One transfer. Normally an error ends the job (IOR's ERR). With a failure injected (--fail)
// the monitor counts it and the transfer is retried (a write of the same bytes at the same
// offset, or a read, is idempotent) every 50 ms for up to kRetryDeadline: the I/O a failure
// interrupts must complete after the recovery, and -W/-R verify what it left.
constexpr double kRetryDeadline = 120;

void xfer_checked(const TestContext& ctx, File& f, Access a, void* buf, std::size_t n,
                  std::uint64_t off) {
    const double first = now_s();
    for (int tries = 0;; ++tries) {
        Status s = ctx.backend->xfer(f, a, buf, n, static_cast<std::int64_t>(off));
        if (s) {
            if (tries > 0)
                std::fprintf(stderr,
                             "pfs-ior: rank %d: transfer at offset %llu done after %d "
                             "retries (%.3f s)\n",
                             ctx.rank, static_cast<unsigned long long>(off), tries,
                             now_s() - first);
            return;
        }
        if (ctx.mon == nullptr || !ctx.mon->retry_errors || now_s() - first > kRetryDeadline)
            fatal(s.msg);
        if (tries == 0) ctx.mon->error(s.err);  // counts transfers that failed, not attempts
        if (tries == 0)
            std::fprintf(stderr, "pfs-ior: rank %d: %s (retrying every 50 ms)\n", ctx.rank,
                         s.msg.c_str());
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

struct PhaseOut {
    PhaseResult row;
    std::uint64_t done = 0;  // transfers this task completed
};

PhaseOut run_phase(const Params& p, const TestContext& ctx, Access a, int iter, std::uint64_t limit,
                   bool verify) {
    const int src = source_task(p, ctx.rank, ctx.tasks, a);
    const std::string path = task_file(p, ctx.path, src);
    const std::size_t words = p.transfer_size / 8;
    std::vector<std::uint64_t> buf(words);
    if (a == Access::write) pattern_fill(buf.data(), words, ctx.rank, ctx.seed);
    const std::uint64_t total = std::min(limit, p.block_size / p.transfer_size * p.segments);

    double t[6] = {};
    double excluded = 0;  // verification time inside the transfer loop (not I/O)
    std::uint64_t done = 0, wrong = 0, first_bad = 0;
    bool stonewalled = false;
    double stone_at = 0;

    MPI_Barrier(ctx.comm);
    t[0] = now_s();
    if (a == Access::read && ctx.mon != nullptr && ctx.rank == 0) ctx.mon->read_begins(t[0]);
    auto f = open_file(p, ctx, path, a);
    t[1] = now_s();
    if (p.intra_barriers) MPI_Barrier(ctx.comm);
    t[2] = now_s();
    for (std::uint64_t k = 0; k < total; ++k) {
        const std::uint64_t off = transfer_offset(p, ctx.tasks, src, k);
        if (a == Access::write) pattern_stamp_buffer(buf.data(), words, ctx.rank, ctx.seed, off);
        const double x0 = now_s();
        xfer_checked(ctx, *f, a, buf.data(), p.transfer_size, off);
        if (a == Access::write && p.fsync_per_write) check(ctx.backend->fsync(*f));
        if (ctx.mon != nullptr) {
            const double x1 = now_s();
            ctx.mon->transfer(x0, x1, p.transfer_size);
            if (a == Access::read && k == 0 && ctx.mon->expect_recall)
                ctx.mon->first_read(x1 - x0);
            else if (a == Access::read)
                ctx.mon->other_read(x1 - x0);
        }
        ++done;
        if (verify) {
            const double v0 = now_s();
            std::uint64_t fb = 0;
            const std::uint64_t w = pattern_verify(buf.data(), words, src, ctx.seed, off, &fb);
            if (w != 0 && wrong == 0) first_bad = fb;
            wrong += w;
            excluded += now_s() - v0;
        }
        if (p.stonewall_s > 0 && now_s() - t[2] - excluded >= p.stonewall_s && k + 1 < total) {
            stonewalled = true;
            stone_at = now_s() - t[2] - excluded;
            break;
        }
    }
    if (a == Access::write && p.fsync) check(ctx.backend->fsync(*f));
    t[3] = now_s() - excluded;
    if (p.intra_barriers) MPI_Barrier(ctx.comm);
    t[4] = now_s() - excluded;
    check(ctx.backend->close(std::move(f)));
    t[5] = now_s() - excluded;

    if (wrong != 0)
        std::fprintf(stderr,
                     "pfs-ior: rank %d: %s verify: %llu wrong 8-byte words in the data of task %d "
                     "in %s, first at offset %llu\n",
                     ctx.rank, a == Access::write ? "write" : "read",
                     static_cast<unsigned long long>(wrong), src, path.c_str(),
                     static_cast<unsigned long long>(first_bad));

    double starts[3] = {t[0], t[2], t[4]}, ends[3] = {t[1], t[3], t[5]};
    double min_start[3], max_end[3];
    MPI_Allreduce(starts, min_start, 3, MPI_DOUBLE, MPI_MIN, ctx.comm);
    MPI_Allreduce(ends, max_end, 3, MPI_DOUBLE, MPI_MAX, ctx.comm);
    std::uint64_t counts[3] = {done, wrong, stonewalled ? 1u : 0u}, sums[3];
    MPI_Allreduce(counts, sums, 3, MPI_UINT64_T, MPI_SUM, ctx.comm);
    std::uint64_t max_done = 0;
    MPI_Allreduce(&done, &max_done, 1, MPI_UINT64_T, MPI_MAX, ctx.comm);
    double max_stone = 0;
    MPI_Allreduce(&stone_at, &max_stone, 1, MPI_DOUBLE, MPI_MAX, ctx.comm);

    if (ctx.mon != nullptr && ctx.rank == 0)
        ctx.mon->mark(a == Access::write ? "write" : "read", iter, min_start[0], max_end[2]);

    PhaseOut out;
    out.done = done;
    auto& r = out.row;
    r.access = a == Access::write ? "write" : "read";
    r.iter = iter;
    r.open_s = max_end[0] - min_start[0];
    r.xfer_s = max_end[1] - min_start[1];
    r.close_s = max_end[2] - min_start[2];
    r.total_s = max_end[2] - min_start[0];
    r.transfers = sums[0];
    r.bytes = sums[0] * p.transfer_size;
    r.transfers_per_task = max_done;
    r.verify_errors = sums[1];
    r.stonewalled = sums[2] != 0;
    r.stonewall_s = max_stone;
    r.stonewall_bytes = r.bytes;
    return out;
}

// -W: reads back what this task wrote (untimed) and counts wrong words.
std::uint64_t check_written(const Params& p, const TestContext& ctx, std::uint64_t done) {
    const std::string path = task_file(p, ctx.path, ctx.rank);
    const std::size_t words = p.transfer_size / 8;
    std::vector<std::uint64_t> buf(words);
    MPI_Barrier(ctx.comm);
    auto f = open_file(p, ctx, path, Access::read);
    std::uint64_t wrong = 0, first_bad = 0;
    for (std::uint64_t k = 0; k < done; ++k) {
        const std::uint64_t off = transfer_offset(p, ctx.tasks, ctx.rank, k);
        xfer_checked(ctx, *f, Access::read, buf.data(), p.transfer_size, off);
        std::uint64_t fb = 0;
        const std::uint64_t w = pattern_verify(buf.data(), words, ctx.rank, ctx.seed, off, &fb);
        if (w != 0 && wrong == 0) first_bad = fb;
        wrong += w;
    }
    check(ctx.backend->close(std::move(f)));
    if (wrong != 0)
        std::fprintf(stderr,
                     "pfs-ior: rank %d: write check (-W): %llu wrong 8-byte words in %s, first "
                     "at offset %llu\n",
                     ctx.rank, static_cast<unsigned long long>(wrong), path.c_str(),
                     static_cast<unsigned long long>(first_bad));
    std::uint64_t sum = 0;
    MPI_Allreduce(&wrong, &sum, 1, MPI_UINT64_T, MPI_SUM, ctx.comm);
    return sum;
}

// After a complete write phase: is every file as long as the layout says? (IOR warns.)
std::uint64_t check_sizes(const Params& p, const TestContext& ctx) {
    std::uint64_t bad = 0;
    if (std::string(ctx.backend->name()) != "DUMMY" && (p.file_per_proc || ctx.rank == 0)) {
        const std::string path = task_file(p, ctx.path, ctx.rank);
        const std::uint64_t want =
            p.file_per_proc ? p.block_size * p.segments : p.aggregate_bytes(ctx.tasks);
        std::int64_t got = -1;
        check(ctx.backend->get_file_size(path, &got));
        if (static_cast<std::uint64_t>(got) != want) {
            std::fprintf(stderr, "WARNING: %s: expected file size %llu, actual %lld\n",
                         path.c_str(), static_cast<unsigned long long>(want),
                         static_cast<long long>(got));
            bad = 1;
        }
    }
    std::uint64_t sum = 0;
    MPI_Allreduce(&bad, &sum, 1, MPI_UINT64_T, MPI_SUM, ctx.comm);
    return sum;
}

}  // namespace

void set_fatal_handler(FatalHandler h) {
    g_fatal = h;
}

void fatal(const std::string& message) {
    if (g_fatal != nullptr) g_fatal(message);
    std::fprintf(stderr, "ERROR: %s\n", message.c_str());
    MPI_Abort(MPI_COMM_WORLD, 1);
    std::abort();
}

std::string task_file(const Params& p, const std::string& path, int task) {
    if (!p.file_per_proc) return path;
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, ".%08d", task);
    return path + suffix;
}

void run_iteration(const Params& p, const TestContext& ctx, int iter, TestResult* out) {
    std::uint64_t limit = UINT64_MAX;
    if (p.write) {
        if (!p.use_existing) remove_files(p, ctx);
        PhaseOut w = run_phase(p, ctx, Access::write, iter, UINT64_MAX, false);
        if (p.check_write) w.row.verify_errors += check_written(p, ctx, w.done);
        if (!w.row.stonewalled) out->size_mismatches += check_sizes(p, ctx);
        // A stonewalled write leaves tasks with different amounts of data: read what all have.
        std::uint64_t min_done = 0;
        MPI_Allreduce(&w.done, &min_done, 1, MPI_UINT64_T, MPI_MIN, ctx.comm);
        if (w.row.stonewalled) limit = min_done;
        out->phases.push_back(w.row);
        if (ctx.after_write) ctx.after_write(iter);
    }
    if (p.read) {
        PhaseOut r = run_phase(p, ctx, Access::read, iter, limit, p.check_read);
        out->phases.push_back(r.row);
        if (ctx.mon != nullptr) ctx.mon->expect_recall = false;
    }
    if (!p.keep) remove_files(p, ctx);
}

}  // namespace pfs_ior
