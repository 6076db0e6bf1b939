// pfs-ior's run monitor (see monitor.hpp).
#include "monitor.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>

namespace pfs_ior {

double mono_now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    const auto n = sorted.size();
    auto i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(n)));
    i = std::clamp<std::size_t>(i, 1, n);
    return sorted[i - 1];
}

void Monitor::start(MPI_Comm comm, double slice_s) {
    slice_s_ = slice_s;
    t0_ = mono_now();
    MPI_Bcast(&t0_, 1, MPI_DOUBLE, 0, comm);
}

void Monitor::transfer(double start, double end, std::uint64_t n) {
    const double e = end - t0_;
    spans_.emplace_back(start - t0_, e);
    const auto slice = static_cast<std::size_t>(std::max(0.0, e) / slice_s_);
    if (bytes_.size() <= slice) bytes_.resize(slice + 1, 0);
    bytes_[slice] += n;
}

void Monitor::mark(const std::string& access, int iter, double begin_mono, double end_mono) {
    phases_.push_back({access, iter, begin_mono - t0_, end_mono - t0_});
}

namespace {

// All tasks' doubles on rank 0.
std::vector<double> gather_doubles(MPI_Comm comm, const std::vector<double>& mine) {
    int rank = 0, tasks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &tasks);
    int n = static_cast<int>(mine.size());
    std::vector<int> counts(static_cast<std::size_t>(tasks)), displs(counts.size());
    MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm);
    int total = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) displs[i] = total, total += counts[i];
    std::vector<double> all(rank == 0 ? static_cast<std::size_t>(total) : 0);
    MPI_Gatherv(mine.data(), n, MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE, 0,
                comm);
    std::sort(all.begin(), all.end());
    return all;
}

}  // namespace

Monitor::Summary Monitor::reduce(MPI_Comm comm, double kill_rel, double detect_rel) const {
    Summary s;
    s.slice_s = slice_s_;
    s.phases = phases_;
    unsigned long long n = bytes_.size(), max_n = 0;
    MPI_Allreduce(&n, &max_n, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, comm);
    std::vector<std::uint64_t> mine(bytes_);
    mine.resize(max_n, 0);
    s.bytes.resize(max_n, 0);
    MPI_Reduce(mine.data(), s.bytes.data(), static_cast<int>(max_n), MPI_UINT64_T, MPI_SUM, 0,
               comm);

    // Error counts by errno: a fixed table of the errnos that matter, the rest as "other" (-1).
    static constexpr int kErrnos[] = {EIO, ECANCELED, ETIMEDOUT, ENOTCONN, EHOSTDOWN, EAGAIN};
    constexpr int kN = static_cast<int>(sizeof kErrnos / sizeof kErrnos[0]);
    std::uint64_t counts[kN + 1] = {}, sums[kN + 1] = {};
    for (const auto& [err, c] : errnos_) {
        int slot = kN;
        for (int i = 0; i < kN; ++i)
            if (kErrnos[i] == err) slot = i;
        counts[slot] += c;
    }
    MPI_Reduce(counts, sums, kN + 1, MPI_UINT64_T, MPI_SUM, 0, comm);
    for (int i = 0; i <= kN; ++i) {
        if (sums[i] == 0) continue;
        s.errnos[i < kN ? kErrnos[i] : -1] = sums[i];
        s.errors += sums[i];
    }

    s.recall_lat = gather_doubles(comm, recall_lat_);
    s.read_lat = gather_doubles(comm, read_lat_);

    double times[2] = {kill_rel, detect_rel};
    MPI_Bcast(times, 2, MPI_DOUBLE, 0, comm);
    std::uint64_t stalled = 0;
    double resumed = -1, longest = 0;
    if (times[0] >= 0) {
        const double detect = times[1] >= 0 ? times[1] : times[0];
        for (const auto& [b, e] : spans_)
            if (b <= detect && e >= times[0]) {
                ++stalled;
                resumed = std::max(resumed, e);
                longest = std::max(longest, e - b);
            }
    }
    MPI_Reduce(&stalled, &s.stalled_transfers, 1, MPI_UINT64_T, MPI_SUM, 0, comm);
    MPI_Reduce(&resumed, &s.io_resumed, 1, MPI_DOUBLE, MPI_MAX, 0, comm);
    MPI_Reduce(&longest, &s.max_stalled_latency, 1, MPI_DOUBLE, MPI_MAX, 0, comm);
    return s;
}

}  // namespace pfs_ior
