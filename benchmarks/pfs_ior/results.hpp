// What a run measured, in the shape the text, CSV and JSON reports print (report.cpp); the JSON
// schema is benchmarks/schema/pfs-bench.schema.json (docs/benchmarks.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "params.hpp"

namespace pfs_ior {

// One row of IOR's "Results:" table: one phase of one repetition, reduced over all tasks.
struct PhaseResult {
    std::string access;  // "write" or "read"
    int iter = 0;
    double open_s = 0, xfer_s = 0, close_s = 0, total_s = 0;  // max(end) - min(start)
    std::uint64_t bytes = 0;                                  // moved by all tasks
    std::uint64_t transfers = 0;                              // I/O calls of all tasks
    std::uint64_t transfers_per_task = 0;
    bool stonewalled = false;
    double stonewall_s = 0;             // when the first task stopped on the deadline
    std::uint64_t stonewall_bytes = 0;  // moved by then (all tasks)
    std::uint64_t verify_errors = 0;    // wrong 8-byte words (-R on read, -W after write)
    double bw_mib_s() const {
        return total_s > 0 ? static_cast<double>(bytes) / 1048576.0 / total_s : 0;
    }
    double iops() const { return xfer_s > 0 ? static_cast<double>(transfers) / xfer_s : 0; }
    double latency_s() const {
        return transfers_per_task ? xfer_s / static_cast<double>(transfers_per_task) : 0;
    }
};

// One IOR test: one API on one path with the common parameters, all repetitions.
struct TestResult {
    int test_id = 0;
    std::string api, api_version, path, role;  // role: "measured" or "baseline"
    std::string start_time;
    std::vector<PhaseResult> phases;
    std::uint64_t size_mismatches = 0;  // files whose size after the write phase was wrong
};

// One metadata test (--mdtest): rates of one API.
struct MdPhase {
    std::string operation;  // "file_create", "file_stat", "file_remove"
    int iter = 0;
    std::uint64_t ops = 0;
    double seconds = 0;
    double rate() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
};
struct MdResult {
    int test_id = 0;
    std::string api, path, role;
    std::uint64_t items_per_task = 0;
    bool unique_dir = false;
    std::vector<MdPhase> phases;
};

// Facts about the job for the header and the JSON.
struct JobInfo {
    std::string layout;
    int tasks = 0, nodes = 1, tasks_per_node = 0;
    std::string host, machine;
    int cores = 0;
};

struct Stats {
    double max = 0, min = 0, mean = 0, stddev = 0;
};
// Population standard deviation, as IOR computes it.
Stats stats_of(const std::vector<double>& v);

}  // namespace pfs_ior
