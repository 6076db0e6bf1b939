// Reaching the HSM daemon from a rank of the job (a compute rank's pfs-hsm, the tests, the
// benchmark): find its DMAPI session by name and send it a command as a synchronous user message
// (the daemon answers when the command is done). Only dmapi.h calls.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <dmapi.h>

#include "commands.hpp"

namespace pfs::hsm {

// The session whose info string is `name`, polling every 100 ms for up to `wait` (the daemon
// may still be starting); DM_NO_SESSION when there is none by then.
dm_sessid_t find_session(const std::string& name,
                         std::chrono::milliseconds wait = std::chrono::seconds(60));

// Sends the command to the session and waits for the daemon's answer: 0, or the errno the
// daemon answered (DM_RESP_ABORT) or dm_send_msg failed with.
int send_command(dm_sessid_t sid, Verb verb, const std::vector<std::string>& paths);

}  // namespace pfs::hsm
