#include "commands.hpp"

#include <sstream>

namespace pfs::hsm {

namespace {
const char* const kVerbs[] = {"archive", "release", "migrate", "recall",
                              "remove",  "state",   "policy",  "stats"};
}

const char* to_string(Verb v) {
    return kVerbs[static_cast<int>(v)];
}

std::optional<Verb> parse_verb(const std::string& word) {
    if (word == "remove-archive-copy") return Verb::remove;
    if (word == "premigrate") return Verb::archive;
    for (int i = 0; i < 8; ++i)
        if (word == kVerbs[i]) return static_cast<Verb>(i);
    return std::nullopt;
}

bool needs_paths(Verb v) {
    return v != Verb::policy && v != Verb::stats;
}

std::string encode(const Command& c) {
    std::string t = to_string(c.verb);
    if (c.dry_run) t += " --dry-run";
    t += "\n";
    for (const auto& p : c.paths) t += p + "\n";
    return t;
}

bool decode(const std::string& text, Command* c, std::string* error) {
    std::istringstream in(text);
    std::string line;
    *c = Command{};
    if (!std::getline(in, line)) {
        *error = "empty command";
        return false;
    }
    std::istringstream words(line);
    std::string w;
    words >> w;
    auto v = parse_verb(w);
    if (!v) {
        *error = "unknown command '" + w + "'";
        return false;
    }
    c->verb = *v;
    while (words >> w) {
        if (w == "--dry-run" || w == "-n") {
            c->dry_run = true;
        } else {
            *error = "unknown option '" + w + "'";
            return false;
        }
    }
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        if (line[0] != '/') {
            *error = "not an absolute PFS path: '" + line + "'";
            return false;
        }
        c->paths.push_back(line);
    }
    if (needs_paths(c->verb) && c->paths.empty()) {
        *error = std::string(to_string(c->verb)) + ": no paths";
        return false;
    }
    return true;
}

}  // namespace pfs::hsm
