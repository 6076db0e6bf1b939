// The HSM's commands as text, one shape for every way they reach the daemon (UNIX socket from
// the pfs-hsm CLI, a DMAPI user message from a compute rank, a batch file at start):
//
//     <command> [--dry-run] PATH...        command: archive | release | migrate | recall |
//                                                   remove | state | policy | stats
//
// as lines: the command line, then one path per line (so paths may hold spaces).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pfs::hsm {

enum class Verb { archive, release, migrate, recall, remove, state, policy, stats };

struct Command {
    Verb verb = Verb::state;
    bool dry_run = false;
    std::vector<std::string> paths;
};

const char* to_string(Verb v);
// The verb of a word ("remove-archive-copy" is an alias of remove); nullopt for others.
std::optional<Verb> parse_verb(const std::string& word);
// Encodes as lines (see above); decode returns false with *error for bad input.
std::string encode(const Command& c);
bool decode(const std::string& text, Command* c, std::string* error);
// Whether the verb needs paths (policy and stats take none).
bool needs_paths(Verb v);

}  // namespace pfs::hsm
