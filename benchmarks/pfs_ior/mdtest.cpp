#include "mdtest.hpp"

#include <cerrno>
#include <chrono>
#include <string>

namespace pfs_ior {
namespace {

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void mkdir_ok_if_exists(Backend& b, const std::string& path) {
    Status s = b.mkdir(path);
    if (!s && s.err != EEXIST) fatal(s.msg);
}

template <class Op>
MdPhase timed(const char* name, int iter, const TestContext& ctx, std::uint64_t n, Op&& op) {
    MPI_Barrier(ctx.comm);
    const double t0 = now_s();
    for (std::uint64_t i = 0; i < n; ++i) {
        Status s = op(i);
        if (!s) fatal(s.msg);
    }
    // Counted: every change of the phase is at its server when the clock stops.
    if (Status s = ctx.backend->md_sync(); !s) fatal(s.msg);
    const double t1 = now_s();
    double start = 0, end = 0;
    MPI_Allreduce(&t0, &start, 1, MPI_DOUBLE, MPI_MIN, ctx.comm);
    MPI_Allreduce(&t1, &end, 1, MPI_DOUBLE, MPI_MAX, ctx.comm);
    MdPhase ph;
    ph.operation = name;
    ph.iter = iter;
    ph.ops = n * static_cast<std::uint64_t>(ctx.tasks);
    ph.seconds = end - start;
    return ph;
}

}  // namespace

void run_md_iteration(const Params& p, const TestContext& ctx, int iter, MdResult* out) {
    Backend& b = *ctx.backend;
    if (ctx.rank == 0) mkdir_ok_if_exists(b, ctx.path);
    MPI_Barrier(ctx.comm);
    const std::string dir =
        p.md_unique_dir ? ctx.path + "/task." + std::to_string(ctx.rank) : ctx.path;
    if (p.md_unique_dir) mkdir_ok_if_exists(b, dir);
    const std::string prefix = dir + "/file." + std::to_string(ctx.rank) + ".";
    const std::uint64_t n = p.md_items;

    out->phases.push_back(timed("file_create", iter, ctx, n, [&](std::uint64_t i) {
        return b.mknod(prefix + std::to_string(i));
    }));
    out->phases.push_back(timed("file_stat", iter, ctx, n, [&](std::uint64_t i) {
        std::int64_t size = -1;
        Status s = b.stat(prefix + std::to_string(i), &size);
        if (s && size != 0)
            return errno_status(EIO, "stat: size of an empty file is not 0", prefix);
        return s;
    }));
    out->phases.push_back(timed("file_remove", iter, ctx, n, [&](std::uint64_t i) {
        return b.remove(prefix + std::to_string(i));
    }));

    if (p.md_unique_dir) {
        Status s = b.rmdir(dir);
        if (!s) fatal(s.msg);
    }
    MPI_Barrier(ctx.comm);
}

}  // namespace pfs_ior
