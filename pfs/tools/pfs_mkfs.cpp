// pfs-mkfs: lay out a new PFS under a cluster root:
//   <root>/superblock.json   fsid, stripe defaults, volume list (written last: its presence
//                            marks a complete file system)
//   <root>/meta-<i>/         LMDB environment holding the namespace, with the root directory
//   <root>/data-<i>/objects/ object store of data server i
// An existing file system is refused unless --force, which removes only what pfs-mkfs creates
// (superblock.json, meta-<n>/, data-<n>/), never other files under the root.
#include <CLI/CLI.hpp>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "pfs/common/config.hpp"
#include "pfs/common/layout_rules.hpp"
#include "pfs/data/object_store.hpp"
#include "pfs/meta/meta_store.hpp"
#include "pfs/meta/superblock.hpp"

namespace fs = std::filesystem;

namespace {

constexpr int kExitFailure = 1;  // the file system could not be written
constexpr int kExitUsage = 2;    // bad input or refusal: nothing was changed

int usage_error(const std::string& msg) {
    std::fprintf(stderr, "pfs-mkfs: error: %s\n", msg.c_str());
    return kExitUsage;
}

int failure(const std::string& msg) {
    std::fprintf(stderr, "pfs-mkfs: error: %s\n", msg.c_str());
    return kExitFailure;
}

// "65536", "4k", "4K", "1M", "1MiB", "2g": binary multiples. nullopt on junk or overflow.
std::optional<std::uint64_t> parse_size(const std::string& s) {
    static const std::regex re(R"(^\s*([0-9]+)\s*([kKmMgGtT]?)(i?[bB])?\s*$)");
    std::smatch m;
    if (!std::regex_match(s, m, re)) return std::nullopt;
    const std::string digits = m[1].str();
    if (digits.size() > 19) return std::nullopt;
    std::uint64_t v = std::stoull(digits);
    int shift = 0;
    if (m[2].length() != 0) {
        switch (std::tolower(static_cast<unsigned char>(m[2].str()[0]))) {
            case 'k':
                shift = 10;
                break;
            case 'm':
                shift = 20;
                break;
            case 'g':
                shift = 30;
                break;
            case 't':
                shift = 40;
                break;
        }
    }
    if (shift != 0 && v > (UINT64_MAX >> shift)) return std::nullopt;
    return v << shift;
}

bool is_volume_dir(const fs::path& p) {
    static const std::regex re(R"(^(meta|data)-[0-9]+$)");
    return std::regex_match(p.filename().string(), re);
}

// What an earlier pfs-mkfs left under root (empty if nothing).
std::vector<fs::path> existing_fs_parts(const fs::path& root) {
    std::vector<fs::path> parts;
    std::error_code ec;
    const auto sb = pfs::meta::Superblock::path_in(root);
    if (fs::exists(sb, ec)) parts.push_back(sb);
    for (auto it = fs::directory_iterator(root, ec); !ec && it != fs::directory_iterator();
         it.increment(ec))
        if (is_volume_dir(it->path())) parts.push_back(it->path());
    return parts;
}

std::string human(std::uint64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (u < 4 && bytes >= 1024 && bytes % 1024 == 0) {
        bytes /= 1024;
        ++u;
    }
    return std::to_string(bytes) + " " + units[u];
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Create a new PFS (superblock, metadata and data volumes) under a cluster root",
                 "pfs-mkfs"};
    std::string root_arg, stripe_size_arg, quota_arg = "0";
    std::uint32_t meta_n = 0, data_n = 0, stripe_count = pfs::config::kDefaultStripeCount;
    bool force = false;
    app.add_option("--root", root_arg, "cluster root directory (created if missing)")->required();
    app.add_option("--meta", meta_n, "number of metadata volumes")->required();
    app.add_option("--data", data_n, "number of data volumes")->required();
    app.add_option("--stripe-size", stripe_size_arg,
                   "default stripe unit: BYTES or with k/M/G suffix (default 1M)");
    app.add_option("--stripe-count", stripe_count,
                   "default data volumes per file (0 = all, the default)");
    app.add_option("--quota-per-volume", quota_arg,
                   "byte quota of each data volume, k/M/G/T suffixes allowed (0 = none)");
    std::string dmapi_arg = "yes";
    app.add_option("--dmapi", dmapi_arg,
                   "DMAPI enabled for the file system (GPFS mmcrfs -z): yes or no; with no, no "
                   "event is generated and DMAPI calls on it fail with EPERM")
        ->check(CLI::IsMember({"yes", "no"}))
        ->capture_default_str();
    app.add_flag("--force", force, "wipe an existing file system under --root first");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::string msg = e.what();
        for (auto& c : msg)
            if (c == '\n') c = ' ';
        return usage_error(msg);
    }

    // ---- validate everything before touching the disk ----------------------------------------
    if (root_arg.empty()) return usage_error("--root must not be empty");
    if (meta_n < 1 || meta_n > pfs::config::kMaxVolumes)
        return usage_error("--meta must be between 1 and " +
                           std::to_string(pfs::config::kMaxVolumes));
    if (data_n < 1 || data_n > pfs::config::kMaxVolumes)
        return usage_error("--data must be between 1 and " +
                           std::to_string(pfs::config::kMaxVolumes));
    std::uint64_t stripe_size = pfs::config::kDefaultStripeSize;
    if (!stripe_size_arg.empty()) {
        auto v = parse_size(stripe_size_arg);
        if (!v) return usage_error("--stripe-size '" + stripe_size_arg + "' is not a size");
        stripe_size = *v;
    }
    if (!pfs::valid_stripe_size(stripe_size))
        return usage_error("--stripe-size " + std::to_string(stripe_size) +
                           " must be a multiple of 4096 between 4k and 1G");
    if (stripe_count > data_n)
        return usage_error("--stripe-count " + std::to_string(stripe_count) + " exceeds --data " +
                           std::to_string(data_n));
    auto quota = parse_size(quota_arg);
    if (!quota) return usage_error("--quota-per-volume '" + quota_arg + "' is not a size");

    const fs::path root = fs::absolute(root_arg);
    std::error_code ec;
    if (fs::exists(root, ec) && !fs::is_directory(root, ec))
        return usage_error(root.string() + " exists and is not a directory");

    const auto old = existing_fs_parts(root);
    if (!old.empty() && !force)
        return usage_error("a file system exists under " + root.string() + " (" +
                           old.front().filename().string() + "); use --force to replace it");

    // ---- build ------------------------------------------------------------------------------
    for (const auto& p : old) {
        fs::remove_all(p, ec);
        if (ec) return failure("cannot remove " + p.string() + ": " + ec.message());
    }
    fs::create_directories(root, ec);
    if (ec) return failure("cannot create " + root.string() + ": " + ec.message());

    pfs::meta::Superblock sb;
    sb.fsid = pfs::meta::Superblock::random_fsid();
    sb.stripe_size = stripe_size;
    sb.stripe_count = stripe_count;
    sb.quota_per_volume = *quota;
    sb.dmapi = dmapi_arg == "yes";
    sb.created_unix = static_cast<std::int64_t>(std::time(nullptr));
    for (std::uint32_t i = 0; i < meta_n; ++i)
        sb.meta_volumes.push_back("meta-" + std::to_string(i));
    for (std::uint32_t i = 0; i < data_n; ++i)
        sb.data_volumes.push_back("data-" + std::to_string(i));
    std::string why;
    if (!sb.validate(&why)) return usage_error(why);

    pfs::meta::FormatOptions fo;
    fo.fsid = sb.fsid;
    fo.data_servers = data_n;
    fo.stripe_size = stripe_size;
    fo.stripe_count = stripe_count;
    for (const auto& v : sb.meta_volumes) {
        if (auto r = pfs::meta::MetaStore::format(root / v, fo); !r)
            return failure("cannot format " + (root / v).string() + ": " +
                           std::strerror(r.error()));
    }
    for (const auto& v : sb.data_volumes) {
        fs::create_directories(root / v, ec);
        if (ec) return failure("cannot create " + (root / v).string() + ": " + ec.message());
        pfs::data::ObjectStoreOptions oo;
        oo.quota_bytes = *quota;
        if (auto r = pfs::data::ObjectStore::open(root / v, oo); !r)
            return failure("cannot initialise " + (root / v).string() + ": " +
                           std::strerror(r.error()));
    }
    if (!sb.save(root, &why)) return failure(why);

    const std::string width =
        stripe_count == 0 ? "all (" + std::to_string(data_n) + ")" : std::to_string(stripe_count);
    const std::string quota_text = *quota == 0 ? "none" : human(*quota) + " per data volume";
    std::printf("pfs-mkfs: created fsid 0x%016" PRIx64
                " at %s: %u metadata volume(s), %u data volume(s), stripe %s x %s, quota %s\n",
                sb.fsid, root.c_str(), meta_n, data_n, human(stripe_size).c_str(), width.c_str(),
                quota_text.c_str());
    return 0;
}
