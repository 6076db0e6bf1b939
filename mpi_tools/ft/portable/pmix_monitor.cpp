#include "pmix_monitor.hpp"

#include <pmix.h>

#include <cstdio>
#include <cstring>

namespace mpi_tools::ft {

bool PmixMonitor::start(std::chrono::milliseconds period, DeadFn on_dead) {
    if (period.count() <= 0) return false;
    pmix_proc_t me;
    // After MPI_Init this returns the MPI library's own PMIx client singleton.
    if (PMIx_Init(&me, nullptr, 0) != PMIX_SUCCESS) return false;
    inited_ = true;
    std::snprintf(nspace_, sizeof(nspace_), "%s", me.nspace);
    period_ = period;
    on_dead_ = std::move(on_dead);
    if (!poll_once()) return false;  // the runtime does not answer PROC_TABLE queries
    thread_ = std::thread([this] { loop(); });
    return true;
}

void PmixMonitor::stop() {
    {
        std::lock_guard lk(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    // No PMIx_Finalize: MPI_Finalize owns the shared client; finalizing it here would
    // break the MPI library's own fence.
}

double PmixMonitor::mean_query_us() const {
    auto q = queries_.load();
    return q ? static_cast<double>(query_ns_.load()) / 1000.0 / static_cast<double>(q) : 0.0;
}

void PmixMonitor::loop() {
    std::unique_lock lk(mu_);
    while (!stop_) {
        cv_.wait_for(lk, period_);
        if (stop_) break;
        lk.unlock();
        poll_once();
        lk.lock();
    }
}

namespace {
void report(const pmix_proc_info_t* p, const char* nspace, const PmixMonitor::DeadFn& fn) {
    if (std::strncmp(p->proc.nspace, nspace, PMIX_MAX_NSLEN) != 0) return;
    if (p->state >= PMIX_PROC_STATE_TERMINATED && p->proc.rank != PMIX_RANK_WILDCARD)
        fn(static_cast<int>(p->proc.rank), static_cast<int>(p->state), p->exit_code);
}
}  // namespace

bool PmixMonitor::poll_once() {
    auto t0 = std::chrono::steady_clock::now();
    pmix_query_t* q;
    PMIX_QUERY_CREATE(q, 1);
    pmix_status_t arc;
    PMIX_ARGV_APPEND(arc, q->keys, PMIX_QUERY_PROC_TABLE);
    (void)arc;
    PMIX_INFO_CREATE(q->qualifiers, 1);
    q->nqual = 1;
    PMIX_INFO_LOAD(&q->qualifiers[0], PMIX_NSPACE, nspace_, PMIX_STRING);
    pmix_info_t* res = nullptr;
    size_t nres = 0;
    pmix_status_t rc = PMIx_Query_info(q, 1, &res, &nres);
    PMIX_QUERY_FREE(q, 1);
    queries_++;
    query_ns_ += static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
            .count());
    if (rc != PMIX_SUCCESS || nres == 0 || !res) {
        if (res) PMIX_INFO_FREE(res, nres);
        return false;
    }
    bool parsed = false;
    for (size_t i = 0; i < nres; ++i) {
        if (res[i].value.type != PMIX_DATA_ARRAY || !res[i].value.data.darray) continue;
        const pmix_data_array_t* da = res[i].value.data.darray;
        if (da->type == PMIX_PROC_INFO) {
            // Newer runtimes: an array of pmix_proc_info_t.
            auto* arr = static_cast<const pmix_proc_info_t*>(da->array);
            for (size_t k = 0; k < da->size; ++k) report(&arr[k], nspace_, on_dead_);
            parsed = true;
        } else if (da->type == PMIX_INFO) {
            // ORTE 4.1 (ext3x): an array of pmix_info_t, each holding a pmix_proc_info_t*.
            auto* infos = static_cast<const pmix_info_t*>(da->array);
            for (size_t k = 0; k < da->size; ++k)
                if (infos[k].value.type == PMIX_PROC_INFO && infos[k].value.data.pinfo)
                    report(infos[k].value.data.pinfo, nspace_, on_dead_);
            parsed = true;
        }
    }
    PMIX_INFO_FREE(res, nres);
    return parsed;
}

}  // namespace mpi_tools::ft
