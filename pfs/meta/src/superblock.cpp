#include "pfs/meta/superblock.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "pfs/common/layout_rules.hpp"

namespace pfs::meta {

namespace {

using nlohmann::json;

Errno fail(std::string* why, int err, std::string msg) {
    if (why != nullptr) *why = std::move(msg);
    return Errno{err};
}

bool valid_volume_dir(const std::string& v) {
    if (v.empty() || v.size() > config::kNameMax * 4 || v.front() == '/') return false;
    for (const auto& part : std::filesystem::path(v))
        if (part == ".." || part == ".") return false;
    return v.find('\0') == std::string::npos;
}

std::string hex64(std::uint64_t v) {
    char buf[19];
    std::snprintf(buf, sizeof buf, "0x%016" PRIx64, v);
    return buf;
}

Result<void> write_all(int fd, const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
        const auto n = ::write(fd, s.data() + off, s.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Errno{errno};
        }
        off += static_cast<std::size_t>(n);
    }
    return {};
}

}  // namespace

Result<void> Superblock::validate(std::string* why) const {
    if (version != config::kSuperblockVersion)
        return fail(why, EINVAL, "unsupported version " + std::to_string(version));
    if (fsid == 0) return fail(why, EINVAL, "fsid must be non-zero");
    if (!valid_stripe_size(stripe_size))
        return fail(why, EINVAL,
                    "stripe_size " + std::to_string(stripe_size) +
                        " must be a multiple of 4096 between 4 KiB and 1 GiB");
    if (meta_volumes.empty() || data_volumes.empty())
        return fail(why, EINVAL, "need at least one metadata and one data volume");
    if (meta_volumes.size() > config::kMaxVolumes || data_volumes.size() > config::kMaxVolumes)
        return fail(why, EINVAL, "too many volumes");
    if (stripe_count > data_volumes.size())
        return fail(why, EINVAL,
                    "stripe_count " + std::to_string(stripe_count) + " exceeds " +
                        std::to_string(data_volumes.size()) + " data volumes");
    std::set<std::string> seen;
    for (const auto* list : {&meta_volumes, &data_volumes}) {
        for (const auto& v : *list) {
            if (!valid_volume_dir(v))
                return fail(why, EINVAL, "volume '" + v + "' must be a relative path without ..");
            if (!seen.insert(v).second) return fail(why, EINVAL, "volume '" + v + "' repeated");
        }
    }
    return {};
}

Result<Superblock> Superblock::load(const std::filesystem::path& root, std::string* why) {
    const auto p = path_in(root);
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) {
        const int err = errno;
        return fail(why, err, "cannot read " + p.string() + ": " + std::strerror(err));
    }
    if (!S_ISREG(st.st_mode)) return fail(why, EUCLEAN, p.string() + " is not a regular file");
    std::ifstream in(p);
    if (!in) return fail(why, EIO, "cannot open " + p.string());
    Superblock sb;
    try {
        const json j = json::parse(in);
        sb.version = j.at("version").get<int>();
        const auto fsid = j.at("fsid").get<std::string>();
        std::size_t used = 0;
        sb.fsid = std::stoull(fsid, &used, 16);
        if (used != fsid.size()) throw std::invalid_argument("fsid is not hexadecimal");
        sb.stripe_size = j.at("stripe_size").get<std::uint64_t>();
        sb.stripe_count = j.at("stripe_count").get<std::uint32_t>();
        sb.quota_per_volume = j.at("quota_per_volume").get<std::uint64_t>();
        sb.dmapi = j.value("dmapi", true);
        sb.meta_volumes = j.at("meta_volumes").get<std::vector<std::string>>();
        sb.data_volumes = j.at("data_volumes").get<std::vector<std::string>>();
        sb.created_unix = j.at("created_unix").get<std::int64_t>();
    } catch (const std::exception& e) {
        return fail(why, EUCLEAN, "corrupt superblock " + p.string() + ": " + e.what());
    }
    std::string reason;
    if (!sb.validate(&reason))
        return fail(why, EUCLEAN, "invalid superblock " + p.string() + ": " + reason);
    return sb;
}

Result<void> Superblock::save(const std::filesystem::path& root, std::string* why) const {
    PFS_TRY(validate(why));
    const json j = {{"version", version},
                    {"fsid", hex64(fsid)},
                    {"stripe_size", stripe_size},
                    {"stripe_count", stripe_count},
                    {"quota_per_volume", quota_per_volume},
                    {"dmapi", dmapi},
                    {"meta_volumes", meta_volumes},
                    {"data_volumes", data_volumes},
                    {"created_unix", created_unix}};
    const auto text = j.dump(2) + "\n";
    const auto p = path_in(root);
    const auto tmp = root / "superblock.json.tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return fail(why, errno, "cannot create " + tmp.string());
    auto w = write_all(fd, text);
    if (w && ::fsync(fd) != 0) w = Errno{errno};
    ::close(fd);
    if (!w) return fail(why, w.error(), "cannot write " + tmp.string());
    if (::rename(tmp.c_str(), p.c_str()) != 0)
        return fail(why, errno, "cannot rename to " + p.string());
    // The rename is durable only once the directory is.
    const int dfd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

std::uint64_t Superblock::random_fsid() {
    std::uint64_t v = 0;
    while (v == 0) {
        if (::getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v)) v = 0;
    }
    return v;
}

}  // namespace pfs::meta
