#include <memory>

#include "dmapi/core/node.hpp"
#include "dmapi/events/events.hpp"
#include "mpi_tools/job.hpp"

namespace dmapi::events {

dmapi::core::Node* start(mpi_tools::Job& job) {
    const auto& l = job.layout();
    if (!l.plain && l.count_of(mpi_tools::Role::dm) == 0) return nullptr;  // no DMAPI job
    auto& node = dmapi::core::Node::start(job);
    if (dynamic_cast<NodeSink*>(pfs::client::event_sink()) == nullptr)
        pfs::client::set_event_sink(std::make_shared<NodeSink>());
    return &node;
}

bool NodeSink::disposed(int type) {
    // Asked on every file operation: one atomic load of the replicated dispositions' union.
    return dmapi::core::Node::get().disposed(static_cast<dm_eventtype_t>(type));
}

int NodeSink::raise(const pfs::client::FsEvent& ev) {
    dmapi::core::Event e;
    e.type = static_cast<dm_eventtype_t>(ev.type);
    e.data = encode_payload(ev);
    const auto r = dmapi::core::Node::get().raise(e);
    // No session for it any more (destroyed since disposed() looked): not generated, proceed.
    // The mount is the exception (GPFS: an undisposed mount fails with EIO).
    if (!r.generated && r.err != 0 && ev.type != DM_EVENT_MOUNT) return 0;
    const int err = r.op_errno();
    if (err != 0 && !r.err && !r.stale && !r.session_failed) pfs::client::note_dm_abort(err);
    return err;
}

}  // namespace dmapi::events
