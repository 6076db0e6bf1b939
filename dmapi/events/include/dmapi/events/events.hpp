// dmapi::events: the PFS's XDSM events at the source rank (library dmapi_events).
//
// start(job) is what every program of a PFS job calls right after mpi_tools::Job::init: in a
// DMAPI job it starts this rank's DMAPI core (dmapi::core::Node::start, collective over the job)
// and installs the event sink through which the PFS client raises events
// (pfs/client/event_sink.hpp).
// docs/dmapi-events.md describes which operation raises what.
#pragma once

#include <cstddef>
#include <vector>

#include "pfs/client/event_sink.hpp"

namespace mpi_tools {
class Job;
}
namespace dmapi::core {
class Node;
}

namespace dmapi::events {

// In a DMAPI job (one with dm ranks, or a plain job): starts the core, collective over every
// rank of the job (Node::start's barrier), and installs the sink; returns the Node. In a PFS job
// without dm ranks (no DMAPI job: its servers do not start the core) it does nothing and returns
// nullptr: no event is ever generated there. Idempotent.
dmapi::core::Node* start(mpi_tools::Job& job);

// ev_data of an event, laid out as SGI's dmapi.h: the event's struct (dm_namesp_event_t,
// dm_data_event_t, dm_destroy_event_t or dm_mount_event_t) followed by its variable data; every
// dm_vardata_t offset is relative to the start of that struct and 8-byte aligned. Handles are
// the project's (a file handle is a 24-byte dm_handle_t, the file-system handle its 8-byte fsid:
// dmapi_pfs.h); names are NUL-terminated and their length counts the NUL.
std::vector<std::byte> encode_payload(const pfs::client::FsEvent& ev);

// The sink over Node::raise: disposed() reads the local replica of the session table (no
// message); raise() blocks for synchronous events and returns DM_RESP_ABORT's errno.
class NodeSink : public pfs::client::EventSink {
  public:
    bool disposed(int type) override;
    int raise(const pfs::client::FsEvent& ev) override;
};

}  // namespace dmapi::events
