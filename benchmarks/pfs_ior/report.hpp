// The reports: IOR's text (header, Options, Results rows, "Summary of all tests:"), IOR's CSV
// rows, and the JSON document of benchmarks/schema/pfs-bench.schema.json; baseline ratios in
// all three.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "results.hpp"

namespace pfs_ior {

// One measured/baseline ratio of mean figures (write MiB/s, file_create ops/s, ...).
struct Ratio {
    std::string name;  // "write bw_mib_s", "file_create rate"
    std::string unit;
    std::string measured_label, baseline_label;  // "NATIVE", "POSIX"
    double measured = 0, baseline = 0;
    double ratio() const { return baseline > 0 ? measured / baseline : 0; }
};
struct Report {
    Params params;
    JobInfo job;
    std::string began, finished;  // ctime-like for the text, ISO 8601 in the JSON
    std::string began_iso, finished_iso;
    std::vector<TestResult> tests;
    std::vector<MdResult> md;
    std::vector<std::string> errors;  // verification failures and size mismatches
    // --fail/--hsm: the sections "timeseries", "failure", "hsm", "latency_cdf" (extras.hpp),
    // merged into the JSON document; their same-run ratios join "ratios".
    nlohmann::json extras = nlohmann::json::object();
    std::vector<Ratio> extra_ratios;
};

std::vector<Ratio> baseline_ratios(const Report& r);

void print_header(std::FILE* out, const Report& r);
void print_test(std::FILE* out, const Report& r, const TestResult& t);
void print_summary(std::FILE* out, const Report& r);
void print_md(std::FILE* out, const Report& r);
void print_ratios(std::FILE* out, const Report& r);
void print_csv(std::FILE* out, const Report& r);
nlohmann::json to_json(const Report& r);

}  // namespace pfs_ior
