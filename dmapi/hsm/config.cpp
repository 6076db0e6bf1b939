#include "config.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace pfs::hsm {

namespace {

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

// "123", "4k", "16M", "2G" (binary units).
bool parse_bytes(const std::string& v, std::uint64_t* out) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
    if (errno != 0 || end == v.c_str() || v[0] == '-') return false;
    std::uint64_t mul = 1;
    const std::string unit = trim(end);
    if (unit.empty() || unit == "B")
        mul = 1;
    else if (unit == "k" || unit == "K" || unit == "KiB")
        mul = 1ull << 10;
    else if (unit == "M" || unit == "MiB")
        mul = 1ull << 20;
    else if (unit == "G" || unit == "GiB")
        mul = 1ull << 30;
    else if (unit == "T" || unit == "TiB")
        mul = 1ull << 40;
    else
        return false;
    *out = n * mul;
    return true;
}

// "30", "30s", "5m", "2h", "7d".
bool parse_duration(const std::string& v, std::chrono::seconds* out) {
    char* end = nullptr;
    errno = 0;
    const long long n = std::strtoll(v.c_str(), &end, 10);
    if (errno != 0 || end == v.c_str() || n < 0) return false;
    const std::string unit = trim(end);
    long long mul = 1;
    if (unit.empty() || unit == "s")
        mul = 1;
    else if (unit == "m")
        mul = 60;
    else if (unit == "h")
        mul = 3600;
    else if (unit == "d")
        mul = 86400;
    else
        return false;
    *out = std::chrono::seconds(n * mul);
    return true;
}

bool parse_uint(const std::string& v, unsigned lo, unsigned hi, unsigned* out) {
    char* end = nullptr;
    errno = 0;
    const long n = std::strtol(v.c_str(), &end, 10);
    if (errno != 0 || *end != '\0' || end == v.c_str() || n < lo || n > hi) return false;
    *out = static_cast<unsigned>(n);
    return true;
}

bool parse_bool(const std::string& v, bool* out) {
    if (v == "true" || v == "yes" || v == "1" || v == "on")
        *out = true;
    else if (v == "false" || v == "no" || v == "0" || v == "off")
        *out = false;
    else
        return false;
    return true;
}

bool parse_percent(const std::string& v, double* out) {
    std::string s = v;
    if (!s.empty() && s.back() == '%') s.pop_back();
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end != '\0' || !std::isfinite(d) || d < 0 || d > 100) return false;
    *out = d;
    return true;
}

int errno_of(const std::string& v) {
    static const struct {
        const char* name;
        int value;
    } names[] = {{"EIO", EIO},       {"ENODATA", ENODATA}, {"EREMOTEIO", EREMOTEIO},
                 {"ENOENT", ENOENT}, {"EAGAIN", EAGAIN},   {"ETIMEDOUT", ETIMEDOUT}};
    for (const auto& n : names)
        if (v == n.name) return n.value;
    unsigned u = 0;
    if (parse_uint(v, 1, 4095, &u)) return static_cast<int>(u);
    return 0;
}

}  // namespace

bool parse_config(const std::string& text, Config* cfg, std::string* error) {
    std::istringstream in(text);
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
        line = trim(line);
        if (line.empty()) continue;
        const auto eq = line.find('=');
        auto bad = [&](const std::string& why) {
            *error = "line " + std::to_string(lineno) + ": " + why;
            return false;
        };
        if (eq == std::string::npos) return bad("expected 'key = value'");
        const std::string key = trim(line.substr(0, eq));
        const std::string v = trim(line.substr(eq + 1));
        bool ok = true;
        if (key == "session_name") {
            ok = !v.empty() && v.size() < 256;
            cfg->session_name = v;
        } else if (key == "archive_root") {
            ok = !v.empty() && v[0] == '/';
            cfg->archive_root = v;
        } else if (key == "recall_workers") {
            ok = parse_uint(v, 1, 64, &cfg->recall_workers);
        } else if (key == "recall_threads") {
            ok = parse_uint(v, 1, 64, &cfg->recall_threads);
        } else if (key == "remote_workers") {
            ok = parse_bool(v, &cfg->remote_workers);
        } else if (key == "recall_mode") {
            ok = v == "whole" || v == "partial";
            cfg->partial_recall = v == "partial";
        } else if (key == "command_workers") {
            ok = parse_uint(v, 1, 16, &cfg->command_workers);
        } else if (key == "chunk_size") {
            ok = parse_bytes(v, &cfg->chunk_bytes) && cfg->chunk_bytes >= 4096 &&
                 cfg->chunk_bytes <= (64ull << 20);
        } else if (key == "recall_errno") {
            cfg->recall_errno = errno_of(v);
            ok = cfg->recall_errno > 0;
        } else if (key == "keep_archive_on_destroy") {
            ok = parse_bool(v, &cfg->keep_archive_on_destroy);
        } else if (key == "min_size") {
            ok = parse_bytes(v, &cfg->min_size);
        } else if (key == "min_atime_age") {
            ok = parse_duration(v, &cfg->min_atime_age);
        } else if (key == "min_mtime_age") {
            ok = parse_duration(v, &cfg->min_mtime_age);
        } else if (key == "include") {
            ok = !v.empty() && v[0] == '/';
            cfg->include.push_back(v);
        } else if (key == "exclude") {
            ok = !v.empty();
            cfg->exclude.push_back(v);
        } else if (key == "scan_interval") {
            ok = parse_duration(v, &cfg->scan_interval);
        } else if (key == "high_watermark") {
            ok = parse_percent(v, &cfg->high_watermark);
        } else if (key == "low_watermark") {
            ok = parse_percent(v, &cfg->low_watermark);
        } else if (key == "nospace_frees") {
            ok = parse_bool(v, &cfg->nospace_frees);
        } else if (key == "max_bytes_per_sec") {
            ok = parse_bytes(v, &cfg->max_bytes_per_sec);
        } else if (key == "max_files_per_run") {
            ok = parse_uint(v, 0, 100000000, &cfg->max_files_per_run);
        } else {
            return bad("unknown key '" + key + "'");
        }
        if (!ok) return bad("bad value '" + v + "' for " + key);
    }
    if (cfg->high_watermark > 0 && cfg->low_watermark >= cfg->high_watermark) {
        *error = "low_watermark must be below high_watermark";
        return false;
    }
    return true;
}

bool load_config(const std::string& path, Config* cfg, std::string* error) {
    std::ifstream f(path);
    if (!f) {
        *error = path + ": " + std::strerror(errno);
        return false;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    if (!parse_config(ss.str(), cfg, error)) {
        *error = path + ": " + *error;
        return false;
    }
    return true;
}

}  // namespace pfs::hsm
