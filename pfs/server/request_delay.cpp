#include "request_delay.hpp"

#include <array>
#include <cstdlib>
#include <sstream>

#include "pfs/proto/messages.hpp"
#include "server_config.hpp"

namespace pfs::server {

namespace {

constexpr std::size_t kTypes = config::kLastPfsType - config::kFirstPfsType + 1;
// Written once by load_request_delays before any request is served; read-only afterwards.
std::array<std::chrono::milliseconds, kTypes> g_delay{};

bool parse_entry(const std::string& entry, std::string* why) {
    const auto colon = entry.find(':');
    if (colon == std::string::npos) {
        *why = "'" + entry + "' is not <request name>:<milliseconds>";
        return false;
    }
    const std::string name = entry.substr(0, colon), ms = entry.substr(colon + 1);
    char* end = nullptr;
    const long long v = std::strtoll(ms.c_str(), &end, 10);
    if (ms.empty() || *end != '\0' || v < 0 || v > 3600000) {
        *why = "'" + ms + "' is not a delay in milliseconds (0..3600000)";
        return false;
    }
    for (std::size_t i = 0; i < kTypes; ++i) {
        const auto t = static_cast<std::uint16_t>(config::kFirstPfsType + i);
        if (!proto::valid_msg_type(t)) continue;
        if (name == proto::msg_type_name(static_cast<proto::MsgType>(t))) {
            g_delay[i] = std::chrono::milliseconds(v);
            return true;
        }
    }
    *why = "unknown request '" + name + "' (e.g. fsync_req, write_req, create_req)";
    return false;
}

}  // namespace

bool load_request_delays(std::string* why) {
    const char* v = std::getenv("PFS_SERVER_DELAY_MS");
    if (v == nullptr || *v == '\0') return true;
    std::stringstream ss(v);
    std::string entry;
    while (std::getline(ss, entry, ','))
        if (!parse_entry(entry, why)) return false;
    return true;
}

std::chrono::milliseconds request_delay(std::uint16_t type) {
    if (type < config::kFirstPfsType || type > config::kLastPfsType)
        return std::chrono::milliseconds{0};
    return g_delay[type - config::kFirstPfsType];
}

}  // namespace pfs::server
