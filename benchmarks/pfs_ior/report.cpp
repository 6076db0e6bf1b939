#include "report.hpp"

#include <cmath>
#include <map>

namespace pfs_ior {

Stats stats_of(const std::vector<double>& v) {
    Stats s;
    if (v.empty()) return s;
    s.max = s.min = v[0];
    double sum = 0;
    for (double x : v) s.max = std::max(s.max, x), s.min = std::min(s.min, x), sum += x;
    s.mean = sum / static_cast<double>(v.size());
    double var = 0;
    for (double x : v) var += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(var / static_cast<double>(v.size()));
    return s;
}

namespace {

constexpr double kMiB = 1048576.0;

struct OpSummary {
    Stats bw, ops;
    double mean_s = 0;
    bool stonewalled = false;
    double stonewall_s = 0, stonewall_mib = 0;
    std::uint64_t verify_errors = 0;
};

// The summary of one operation ("write"/"read") of one test; false when it did not run.
bool summarize(const Params& p, const TestResult& t, const std::string& op, OpSummary* out) {
    std::vector<double> bw, ops, secs, sw_s, sw_mib;
    for (const auto& r : t.phases) {
        if (r.access != op) continue;
        bw.push_back(r.bw_mib_s());
        ops.push_back(r.bw_mib_s() * kMiB / static_cast<double>(p.transfer_size));
        secs.push_back(r.total_s);
        out->verify_errors += r.verify_errors;
        if (r.stonewalled) {
            out->stonewalled = true;
            sw_s.push_back(r.stonewall_s);
            sw_mib.push_back(static_cast<double>(r.stonewall_bytes) / kMiB);
        }
    }
    if (bw.empty()) return false;
    out->bw = stats_of(bw);
    out->ops = stats_of(ops);
    out->mean_s = stats_of(secs).mean;
    if (out->stonewalled) {
        out->stonewall_s = stats_of(sw_s).mean;
        out->stonewall_mib = stats_of(sw_mib).mean;
    }
    return true;
}

Stats md_stats(const MdResult& m, const std::string& op) {
    std::vector<double> v;
    for (const auto& ph : m.phases)
        if (ph.operation == op) v.push_back(ph.rate());
    return stats_of(v);
}

const char* kMdOps[] = {"file_create", "file_stat", "file_remove"};
const char* md_title(const std::string& op) {
    return op == "file_create" ? "File creation" : op == "file_stat" ? "File stat" : "File removal";
}

}  // namespace

std::vector<Ratio> baseline_ratios(const Report& r) {
    std::vector<Ratio> out;
    const TestResult* measured = nullptr;
    const TestResult* posix = nullptr;
    const TestResult* mpiio = nullptr;
    for (const auto& t : r.tests) {
        if (t.role == "measured") measured = &t;
        if (t.role == "baseline" && t.api == "POSIX") posix = &t;
        if (t.role == "baseline" && t.api == "MPIIO") mpiio = &t;
    }
    for (const char* op : {"write", "read"}) {
        OpSummary base;
        if (posix == nullptr || !summarize(r.params, *posix, op, &base)) continue;
        for (const TestResult* t : {measured, mpiio}) {
            OpSummary m;
            if (t == nullptr || !summarize(r.params, *t, op, &m)) continue;
            out.push_back(
                {std::string(op) + " bw_mib_s", "MiB/s", t->api, "POSIX", m.bw.mean, base.bw.mean});
        }
    }
    const MdResult* md_measured = nullptr;
    const MdResult* md_posix = nullptr;
    for (const auto& m : r.md) {
        if (m.role == "measured") md_measured = &m;
        if (m.role == "baseline" && m.api == "POSIX") md_posix = &m;
    }
    if (md_measured != nullptr && md_posix != nullptr)
        for (const char* op : kMdOps)
            out.push_back({std::string(op) + " rate", "ops/s", md_measured->api, "POSIX",
                           md_stats(*md_measured, op).mean, md_stats(*md_posix, op).mean});
    return out;
}

void print_header(std::FILE* out, const Report& r) {
    std::fprintf(out, "pfs-ior-0.1 (IOR-4.1 format): MPI Coordinated Test of Parallel I/O\n");
    std::fprintf(out, "Began               : %s\n", r.began.c_str());
    std::fprintf(out, "Command line        : %s\n", r.params.command_line.c_str());
    std::fprintf(out, "Machine             : %s\n", r.job.machine.c_str());
    std::fprintf(out, "Job layout          : %s\n", r.job.layout.c_str());
}

void print_test(std::FILE* out, const Report& r, const TestResult& t) {
    const Params& p = r.params;
    if (!p.quiet) {
        std::fprintf(out, "TestID              : %d\n", t.test_id);
        std::fprintf(out, "StartTime           : %s\n", t.start_time.c_str());
        std::fprintf(out, "Path                : %s\n", t.path.c_str());
        std::fprintf(out, "\nOptions: \n");
        std::fprintf(out, "api                 : %s\n", t.api.c_str());
        std::fprintf(out, "apiVersion          : %s\n", t.api_version.c_str());
        std::fprintf(out, "role                : %s\n", t.role.c_str());
        std::fprintf(out, "test filename       : %s\n", t.path.c_str());
        std::fprintf(out, "access              : %s\n",
                     p.file_per_proc ? "file-per-process" : "single-shared-file");
        std::fprintf(out, "type                : %s\n",
                     p.collective && t.api == "MPIIO" ? "collective" : "independent");
        std::fprintf(out, "segments            : %llu\n",
                     static_cast<unsigned long long>(p.segments));
        std::fprintf(out, "ordering in a file  : sequential\n");
        std::fprintf(out, "ordering inter file : %s\n",
                     p.reorder          ? "constant task offset"
                     : p.reorder_random ? "random task offset"
                                        : "no tasks offsets");
        if (p.reorder) std::fprintf(out, "task offset         : %d\n", p.reorder_offset);
        std::fprintf(out, "nodes               : %d\n", r.job.nodes);
        std::fprintf(out, "tasks               : %d\n", r.job.tasks);
        std::fprintf(out, "clients per node    : %d\n", r.job.tasks_per_node);
        std::fprintf(out, "repetitions         : %d\n", p.repetitions);
        std::fprintf(out, "xfersize            : %s\n", human_size(p.transfer_size).c_str());
        std::fprintf(out, "blocksize           : %s\n", human_size(p.block_size).c_str());
        std::fprintf(out, "aggregate filesize  : %s\n",
                     human_size(p.aggregate_bytes(r.job.tasks)).c_str());
        if (p.stonewall_s > 0) std::fprintf(out, "stonewallingTime    : %g\n", p.stonewall_s);
        std::fprintf(out, "\nResults: \n\n");
    }
    if (p.quiet)
        std::fprintf(out, "Test %d: %s %s (%s)\n", t.test_id, t.api.c_str(), t.path.c_str(),
                     t.role.c_str());
    std::fprintf(out,
                 "access    bw(MiB/s)  IOPS       Latency(s)  block(KiB) xfer(KiB)  open(s)    "
                 "wr/rd(s)   close(s)   total(s)   iter\n");
    std::fprintf(out,
                 "------    ---------  ----       ----------  ---------- ---------  --------   "
                 "--------   --------   --------   ----\n");
    for (const auto& ph : t.phases)
        std::fprintf(out,
                     "%-9s %-10.2f %-10.2f %-11.6f %-10.0f %-10.2f %-10.6f %-10.6f %-10.6f "
                     "%-10.6f %-4d\n",
                     ph.access.c_str(), ph.bw_mib_s(), ph.iops(), ph.latency_s(),
                     static_cast<double>(p.block_size) / 1024,
                     static_cast<double>(p.transfer_size) / 1024, ph.open_s, ph.xfer_s, ph.close_s,
                     ph.total_s, ph.iter);
    std::fprintf(out, "\n");
}

void print_summary(std::FILE* out, const Report& r) {
    const Params& p = r.params;
    std::fprintf(out, "Summary of all tests:\n");
    std::fprintf(out,
                 "Operation   Max(MiB)   Min(MiB)  Mean(MiB)     StdDev   Max(OPs)   Min(OPs)  "
                 "Mean(OPs)     StdDev    Mean(s) Stonewall(s) Stonewall(MiB) Test# #Tasks tPN "
                 "reps fPP reord reordoff reordrand seed segcnt   blksiz    xsize aggs(MiB)   API "
                 "RefNum\n");
    for (const auto& t : r.tests)
        for (const char* op : {"write", "read"}) {
            OpSummary s;
            if (!summarize(p, t, op, &s)) continue;
            char sw_s[32] = "NA", sw_mib[32] = "NA";
            if (s.stonewalled) {
                std::snprintf(sw_s, sizeof sw_s, "%.2f", s.stonewall_s);
                std::snprintf(sw_mib, sizeof sw_mib, "%.2f", s.stonewall_mib);
            }
            std::fprintf(out,
                         "%-9s %10.2f %10.2f %10.2f %10.2f %10.2f %10.2f %10.2f %10.2f %10.5f "
                         "%12s %14s %5d %6d %3d %4d %3d %5d %8d %9d %4u %6llu %8llu %8llu %9.1f "
                         "%5s %6d\n",
                         op, s.bw.max, s.bw.min, s.bw.mean, s.bw.stddev, s.ops.max, s.ops.min,
                         s.ops.mean, s.ops.stddev, s.mean_s, sw_s, sw_mib, t.test_id, r.job.tasks,
                         r.job.tasks_per_node, p.repetitions, p.file_per_proc ? 1 : 0,
                         p.reorder ? 1 : 0, p.reorder_offset, p.reorder_random ? 1 : 0,
                         p.reorder_seed, static_cast<unsigned long long>(p.segments),
                         static_cast<unsigned long long>(p.block_size),
                         static_cast<unsigned long long>(p.transfer_size),
                         static_cast<double>(p.aggregate_bytes(r.job.tasks)) / kMiB, t.api.c_str(),
                         0);
        }
}

void print_md(std::FILE* out, const Report& r) {
    for (const auto& m : r.md) {
        std::fprintf(out,
                     "\nmdtest-style test %d: API %s (%s), %d tasks, %llu files per task, %s\n",
                     m.test_id, m.api.c_str(), m.role.c_str(), r.job.tasks,
                     static_cast<unsigned long long>(m.items_per_task),
                     m.unique_dir ? "a directory per task" : "one shared directory");
        std::fprintf(out, "Path                : %s\n", m.path.c_str());
        std::fprintf(out, "SUMMARY rate (in ops/sec): (of %d iterations)\n", r.params.repetitions);
        std::fprintf(
            out,
            "   Operation                     Max            Min           Mean        Std Dev\n");
        std::fprintf(
            out,
            "   ---------                     ---            ---           ----        -------\n");
        for (const char* op : kMdOps) {
            const Stats s = md_stats(m, op);
            std::fprintf(out, "   %-22s %14.3f %14.3f %14.3f %14.3f\n", md_title(op), s.max, s.min,
                         s.mean, s.stddev);
        }
    }
}

void print_ratios(std::FILE* out, const Report& r) {
    const auto ratios = baseline_ratios(r);
    if (ratios.empty()) return;
    std::fprintf(out, "\nRatios to the POSIX baseline (means, same run):\n");
    std::fprintf(out, "%-22s %-16s %14s %14s %8s\n", "Metric", "Ratio", "Measured", "Baseline",
                 "Value");
    for (const auto& x : ratios)
        std::fprintf(out, "%-22s %-16s %14.2f %14.2f %8.3f\n", x.name.c_str(),
                     (x.measured_label + "/" + x.baseline_label).c_str(), x.measured, x.baseline,
                     x.ratio());
}

void print_csv(std::FILE* out, const Report& r) {
    const Params& p = r.params;
    std::fprintf(out,
                 "access,bw(MiB/s),IOPS,Latency,block(KiB),xfer(KiB),open(s),wr/rd(s),close(s),"
                 "total(s),numTasks,iter,API,Test#\n");
    for (const auto& t : r.tests)
        for (const auto& ph : t.phases)
            std::fprintf(out, "%s,%.2f,%.2f,%.6f,%.0f,%.2f,%.6f,%.6f,%.6f,%.6f,%d,%d,%s,%d\n",
                         ph.access.c_str(), ph.bw_mib_s(), ph.iops(), ph.latency_s(),
                         static_cast<double>(p.block_size) / 1024,
                         static_cast<double>(p.transfer_size) / 1024, ph.open_s, ph.xfer_s,
                         ph.close_s, ph.total_s, r.job.tasks, ph.iter, t.api.c_str(), t.test_id);
    for (const auto& m : r.md)
        for (const auto& ph : m.phases)
            std::fprintf(out, "%s,%.2f,,,,,,%.6f,,%.6f,%d,%d,%s,%d\n", ph.operation.c_str(),
                         ph.rate(), ph.seconds, ph.seconds, r.job.tasks, ph.iter, m.api.c_str(),
                         m.test_id);
}

nlohmann::json to_json(const Report& r) {
    using nlohmann::json;
    const Params& p = r.params;
    auto opt = [](bool present, double v) { return present ? json(v) : json(nullptr); };
    json doc;
    doc["schema"] = "pfs-bench/1";
    doc["benchmark"] = p.mdtest ? "pfs-ior-mdtest" : "pfs-ior";
    doc["version"] = "0.1.0";
    doc["began"] = r.began_iso;
    doc["finished"] = r.finished_iso;
    doc["host"] = r.job.host;
    doc["cores"] = r.job.cores;
    doc["command_line"] = p.command_line;
    doc["job"] = {{"layout", r.job.layout},
                  {"tasks", r.job.tasks},
                  {"nodes", r.job.nodes},
                  {"tasks_per_node", r.job.tasks_per_node}};
    doc["ok"] = r.errors.empty();
    doc["errors"] = r.errors;
    doc["parameters"] = {{"api", p.api},
                         {"block_size", p.block_size},
                         {"transfer_size", p.transfer_size},
                         {"segments", p.segments},
                         {"file_per_proc", p.file_per_proc},
                         {"collective", p.collective},
                         {"write", p.write},
                         {"read", p.read},
                         {"reorder", p.reorder},
                         {"reorder_offset", p.reorder_offset},
                         {"reorder_random", p.reorder_random},
                         {"reorder_seed", p.reorder_seed},
                         {"fsync", p.fsync},
                         {"fsync_per_write", p.fsync_per_write},
                         {"check_write", p.check_write},
                         {"check_read", p.check_read},
                         {"intra_test_barriers", p.intra_barriers},
                         {"keep", p.keep},
                         {"use_existing", p.use_existing},
                         {"repetitions", p.repetitions},
                         {"inter_test_delay_s", p.inter_delay_s},
                         {"stonewall_s", p.stonewall_s},
                         {"test_file", p.test_file},
                         {"baseline_dir", p.baseline_dir},
                         {"md_items_per_task", p.mdtest ? json(p.md_items) : json(nullptr)},
                         {"md_unique_dir", p.md_unique_dir},
                         {"aggregate_bytes", p.aggregate_bytes(r.job.tasks)}};
    doc["tests"] = json::array();
    for (const auto& t : r.tests) {
        json jt = {{"test_id", t.test_id},
                   {"api", t.api},
                   {"api_version", t.api_version},
                   {"role", t.role},
                   {"path", t.path},
                   {"start_time", t.start_time},
                   {"size_mismatches", t.size_mismatches}};
        jt["results"] = json::array();
        for (const auto& ph : t.phases)
            jt["results"].push_back(
                {{"access", ph.access},
                 {"iter", ph.iter},
                 {"bw_mib_s", ph.bw_mib_s()},
                 {"iops", ph.iops()},
                 {"latency_s", ph.latency_s()},
                 {"block_kib", static_cast<double>(p.block_size) / 1024},
                 {"xfer_kib", static_cast<double>(p.transfer_size) / 1024},
                 {"open_s", ph.open_s},
                 {"wrrd_s", ph.xfer_s},
                 {"close_s", ph.close_s},
                 {"total_s", ph.total_s},
                 {"bytes", ph.bytes},
                 {"transfers", ph.transfers},
                 {"stonewall_s", opt(ph.stonewalled, ph.stonewall_s)},
                 {"stonewall_mib",
                  opt(ph.stonewalled, static_cast<double>(ph.stonewall_bytes) / kMiB)},
                 {"verify_errors", ph.verify_errors}});
        jt["summary"] = json::array();
        for (const char* op : {"write", "read"}) {
            OpSummary s;
            if (!summarize(p, t, op, &s)) continue;
            jt["summary"].push_back(
                {{"operation", op},
                 {"max_mib_s", s.bw.max},
                 {"min_mib_s", s.bw.min},
                 {"mean_mib_s", s.bw.mean},
                 {"stddev_mib_s", s.bw.stddev},
                 {"max_ops", s.ops.max},
                 {"min_ops", s.ops.min},
                 {"mean_ops", s.ops.mean},
                 {"stddev_ops", s.ops.stddev},
                 {"mean_s", s.mean_s},
                 {"stonewall_s", opt(s.stonewalled, s.stonewall_s)},
                 {"stonewall_mib", opt(s.stonewalled, s.stonewall_mib)},
                 {"aggs_mib", static_cast<double>(p.aggregate_bytes(r.job.tasks)) / kMiB},
                 {"verify_errors", s.verify_errors}});
        }
        doc["tests"].push_back(jt);
    }
    doc["metadata"] = json::array();
    for (const auto& m : r.md) {
        json jm = {{"test_id", m.test_id},
                   {"api", m.api},
                   {"role", m.role},
                   {"path", m.path},
                   {"items_per_task", m.items_per_task},
                   {"unique_dir", m.unique_dir}};
        jm["results"] = json::array();
        for (const auto& ph : m.phases)
            jm["results"].push_back({{"operation", ph.operation},
                                     {"iter", ph.iter},
                                     {"ops", ph.ops},
                                     {"seconds", ph.seconds},
                                     {"rate", ph.rate()}});
        jm["summary"] = json::array();
        for (const char* op : kMdOps) {
            const Stats s = md_stats(m, op);
            jm["summary"].push_back({{"operation", op},
                                     {"max", s.max},
                                     {"min", s.min},
                                     {"mean", s.mean},
                                     {"stddev", s.stddev}});
        }
        doc["metadata"].push_back(jm);
    }
    for (const auto& [k, v] : r.extras.items()) doc[k] = v;
    doc["ratios"] = json::array();
    auto all_ratios = baseline_ratios(r);
    all_ratios.insert(all_ratios.end(), r.extra_ratios.begin(), r.extra_ratios.end());
    for (const auto& x : all_ratios)
        doc["ratios"].push_back({{"name", x.name},
                                 {"unit", x.unit},
                                 {"measured_label", x.measured_label},
                                 {"baseline_label", x.baseline_label},
                                 {"measured", x.measured},
                                 {"baseline", x.baseline},
                                 {"ratio", x.ratio()}});
    return doc;
}

}  // namespace pfs_ior
