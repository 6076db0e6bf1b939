// The report sections of --fail and --hsm (docs/benchmarks.md, schema pfs-bench/1):
//   "timeseries"   bandwidth per slice of the measured test, its phases and the failure marks
//   "failure"      kill, detection, recovery, I/O resumed (seconds from the first phase's start,
//                  and durations from the kill), transfers that waited, errors retried
//   "hsm"          the policy, each migrate/archive round, recall count and latencies
//   "latency_cdf"  sorted latency samples (the recalls and the other reads) for CDF plots
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "fail_inject.hpp"
#include "hsm_driver.hpp"
#include "monitor.hpp"
#include "report.hpp"

namespace pfs_ior {

// Fills r->extras and r->extra_ratios; fail/hsm may be null.
void build_extras(const Monitor::Summary& s, const FailSpec* spec, const FailInjector::Result* fail,
                  const HsmDriver* hsm, Report* r);
// The text lines after IOR's summary.
void print_extras(std::FILE* out, const Report& r);

// Percentiles {count, p50, p90, p99, max, mean} of sorted values (seconds).
nlohmann::json latency_stats(const std::vector<double>& sorted);

}  // namespace pfs_ior
