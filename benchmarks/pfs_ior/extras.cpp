// The --fail and --hsm report sections (see extras.hpp).
#include "extras.hpp"

#include <cerrno>
#include <cstring>
#include <numeric>
#include <string>

namespace pfs_ior {
namespace {

using nlohmann::json;

json time_or_null(double t) {
    return t >= 0 ? json(t) : json(nullptr);
}
json since_or_null(double t, double from) {
    return t >= 0 && from >= 0 ? json(t - from) : json(nullptr);
}

// At most ~1000 samples of a sorted vector (evenly spaced ranks, both ends kept).
std::vector<double> thin(const std::vector<double>& v) {
    constexpr std::size_t kMax = 1000;
    if (v.size() <= kMax) return v;
    std::vector<double> out;
    for (std::size_t i = 0; i < kMax; ++i) out.push_back(v[i * (v.size() - 1) / (kMax - 1)]);
    return out;
}

std::string errno_name(int e) {
    switch (e) {
        case EIO:
            return "EIO";
        case ECANCELED:
            return "ECANCELED";
        case ETIMEDOUT:
            return "ETIMEDOUT";
        case ENOTCONN:
            return "ENOTCONN";
        case EHOSTDOWN:
            return "EHOSTDOWN";
        case EAGAIN:
            return "EAGAIN";
        default:
            return "other";
    }
}

}  // namespace

json latency_stats(const std::vector<double>& v) {
    const double sum = std::accumulate(v.begin(), v.end(), 0.0);
    return {{"count", v.size()},
            {"p50", percentile(v, 0.5)},
            {"p90", percentile(v, 0.9)},
            {"p99", percentile(v, 0.99)},
            {"max", v.empty() ? 0.0 : v.back()},
            {"mean", v.empty() ? 0.0 : sum / static_cast<double>(v.size())}};
}

void build_extras(const Monitor::Summary& s, const FailSpec* spec, const FailInjector::Result* f,
                  const HsmDriver* hsm, Report* r) {
    json ts = {{"slice_s", s.slice_s}};
    ts["t_s"] = json::array();
    ts["mib_s"] = json::array();
    for (std::size_t i = 0; i < s.bytes.size(); ++i) {
        ts["t_s"].push_back(static_cast<double>(i) * s.slice_s);
        ts["mib_s"].push_back(static_cast<double>(s.bytes[i]) / 1048576.0 / s.slice_s);
    }
    ts["phases"] = json::array();
    for (const auto& ph : s.phases)
        ts["phases"].push_back(
            {{"access", ph.access}, {"iter", ph.iter}, {"begin_s", ph.begin}, {"end_s", ph.end}});
    ts["marks"] = json::array();

    if (spec != nullptr && f != nullptr) {
        json fj = {{"role", spec->role},
                   {"at_s", spec->at_s},
                   {"after_read", spec->after_read},
                   {"killed", f->killed},
                   {"victim_rank", f->victim},
                   {"victim_role", f->victim_role},
                   {"victim_pid", f->pid},
                   {"kill_s", time_or_null(f->kill)},
                   {"detected_s", time_or_null(f->detected)},
                   {"recovered_s", time_or_null(f->recovered)},
                   {"io_resumed_s", time_or_null(f->killed ? s.io_resumed : -1)},
                   {"detection_s", since_or_null(f->detected, f->kill)},
                   {"recovery_s", since_or_null(f->recovered, f->kill)},
                   {"io_stall_s", since_or_null(f->killed ? s.io_resumed : -1, f->kill)},
                   {"stalled_transfers", s.stalled_transfers},
                   {"max_stalled_latency_s", s.max_stalled_latency},
                   {"new_session_owner", f->new_owner},
                   {"events_at_takeover", f->events_at_takeover},
                   {"errors", s.errors},
                   {"note", f->note}};
        fj["errors_by_errno"] = json::array();
        for (const auto& [e, c] : s.errnos)
            fj["errors_by_errno"].push_back({{"errno", e}, {"name", errno_name(e)}, {"count", c}});
        r->extras["failure"] = fj;
        const std::pair<const char*, double> marks[] = {{"kill", f->kill},
                                                        {"detected", f->detected},
                                                        {"recovered", f->recovered},
                                                        {"io_resumed", s.io_resumed}};
        for (const auto& [name, t] : marks)
            if (f->killed && t >= 0) ts["marks"].push_back({{"name", name}, {"t_s", t}});
    }
    r->extras["timeseries"] = ts;

    if (hsm != nullptr) {
        json hj = {{"policy", hsm->policy()}, {"session", hsm->session()}};
        hj["rounds"] = json::array();
        for (const auto& x : hsm->rounds())
            hj["rounds"].push_back(
                {{"iter", x.iter}, {"files", x.files}, {"seconds", x.seconds}, {"rc", x.rc}});
        hj["recalls"] = s.recall_lat.size();
        hj["recall_latency_s"] = latency_stats(s.recall_lat);
        hj["read_latency_s"] = latency_stats(s.read_lat);
        r->extras["hsm"] = hj;
        json cdf = json::array();
        if (!s.recall_lat.empty())
            cdf.push_back({{"name", "first read of a released file (recall)"},
                           {"unit", "s"},
                           {"values", thin(s.recall_lat)}});
        if (!s.read_lat.empty())
            cdf.push_back(
                {{"name", "other reads (baseline)"}, {"unit", "s"}, {"values", thin(s.read_lat)}});
        r->extras["latency_cdf"] = cdf;
        const double rec = percentile(s.recall_lat, 0.5), rd = percentile(s.read_lat, 0.5);
        if (rec > 0 && rd > 0)
            r->extra_ratios.push_back(
                {"read latency p50", "s", "recall (first read)", "other reads", rec, rd});
    }
}

void print_extras(std::FILE* out, const Report& r) {
    const auto& x = r.extras;
    if (x.contains("failure")) {
        const auto& f = x["failure"];
        auto t = [&](const char* k) { return f[k].is_null() ? -1.0 : f[k].get<double>(); };
        std::fprintf(out, "\n");
        if (!f["killed"].get<bool>()) {
            std::fprintf(out, "Failure injected    : none (--fail %s:%g: %s)\n",
                         f["role"].get<std::string>().c_str(), f["at_s"].get<double>(),
                         f["note"].get<std::string>().c_str());
        } else {
            std::fprintf(out, "Failure injected    : SIGKILL rank %d (%s, pid %d) at %.3f s\n",
                         f["victim_rank"].get<int>(), f["victim_role"].get<std::string>().c_str(),
                         f["victim_pid"].get<int>(), t("kill_s"));
            std::fprintf(out, "  detected          : %.3f s (kill + %.3f s)\n", t("detected_s"),
                         t("detection_s"));
            std::fprintf(out, "  recovered         : %.3f s (kill + %.3f s)\n", t("recovered_s"),
                         t("recovery_s"));
            if (f["io_resumed_s"].is_null())
                std::fprintf(out, "  I/O resumed       : no transfer was in flight at the kill\n");
            else
                std::fprintf(
                    out,
                    "  I/O resumed       : %.3f s (kill + %.3f s; %llu transfers waited, "
                    "longest %.3f s)\n",
                    t("io_resumed_s"), t("io_stall_s"),
                    static_cast<unsigned long long>(f["stalled_transfers"].get<std::uint64_t>()),
                    t("max_stalled_latency_s"));
            if (f["new_session_owner"].get<int>() >= 0)
                std::fprintf(
                    out, "  session now on    : rank %d%s\n", f["new_session_owner"].get<int>(),
                    f["events_at_takeover"].get<long long>() < 0
                        ? ""
                        : (" (" + std::to_string(f["events_at_takeover"].get<long long>()) +
                           " events queued at takeover)")
                              .c_str());
        }
        std::string by;
        for (const auto& e : f["errors_by_errno"])
            by += " " + e["name"].get<std::string>() + "=" +
                  std::to_string(e["count"].get<long long>());
        std::fprintf(out, "  I/O errors        : %llu (retried)%s\n",
                     static_cast<unsigned long long>(f["errors"].get<std::uint64_t>()), by.c_str());
    }
    if (x.contains("hsm")) {
        const auto& h = x["hsm"];
        double secs = 0;
        std::size_t files = 0;
        for (const auto& rd : h["rounds"])
            secs += rd["seconds"].get<double>(), files += rd["files"].get<std::size_t>();
        std::fprintf(out, "\nHSM                 : %s, session %s: %zu rounds, %zu files, %.3f s\n",
                     h["policy"].get<std::string>().c_str(),
                     h["session"].get<std::string>().c_str(), h["rounds"].size(), files, secs);
        const auto& rl = h["recall_latency_s"];
        const auto& ol = h["read_latency_s"];
        std::fprintf(
            out, "  recalls           : %zu, latency p50 %.4f s p90 %.4f s p99 %.4f s max %.4f s\n",
            h["recalls"].get<std::size_t>(), rl["p50"].get<double>(), rl["p90"].get<double>(),
            rl["p99"].get<double>(), rl["max"].get<double>());
        std::fprintf(out, "  other reads       : %zu, latency p50 %.4f s p99 %.4f s (same run)\n",
                     ol["count"].get<std::size_t>(), ol["p50"].get<double>(),
                     ol["p99"].get<double>());
    }
    for (const auto& q : r.extra_ratios)
        std::fprintf(out, "  ratio %-20s %s/%s: %.3f\n", q.name.c_str(), q.measured_label.c_str(),
                     q.baseline_label.c_str(), q.ratio());
}

}  // namespace pfs_ior
