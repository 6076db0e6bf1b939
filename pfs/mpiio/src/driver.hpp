// Internal state of the MPI-IO driver: one PfsFile per open pfs: file on this rank, keyed by
// the MPI_File handle the application holds. That handle is a real Open MPI file (a "dummy"
// opened on /dev/null with MPI_COMM_SELF, reused from a pool), so every MPI_File function the
// driver does not need to change (errhandlers, c2f/f2c) is Open MPI's own; docs/mpiio.md has
// the reasoning.
#pragma once

#include <mpi.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lock_table.hpp"
#include "pfs/mpiio/flatten.hpp"

namespace pfs::client {
class Client;
}
namespace mpi_tools {
class Transport;
}

namespace pfs::mpiio {

enum class Tristate { automatic, enable, disable };

// Hints honoured by the driver (MPI_Info keys; docs/mpiio.md lists them).
struct Hints {
    int cb_nodes = 0;                             // 0: one aggregator per data server
    std::int64_t cb_buffer_size = 16ll << 20;     // bytes an aggregator moves per round
    Tristate cb_read = Tristate::automatic;       // romio_cb_read
    Tristate cb_write = Tristate::automatic;      // romio_cb_write
    Tristate ds_read = Tristate::automatic;       // romio_ds_read (data sieving)
    std::int64_t ind_rd_buffer_size = 4ll << 20;  // sieving window
    std::uint64_t striping_unit = 0;              // stripe size of a file created by open
    std::uint32_t striping_factor = 0;            // stripe count of a file created by open
    void apply(MPI_Info info);                    // keys absent from info keep their value
    MPI_Info to_info(int cb_nodes_in_effect) const;
};

struct View {
    MPI_Offset disp = 0;
    MPI_Datatype etype = MPI_BYTE;     // owned (a dup) unless predefined
    MPI_Datatype filetype = MPI_BYTE;  // owned (a dup) unless predefined
    std::string datarep = "native";
    std::int64_t esize = 1;
    std::shared_ptr<const Flat> ft;    // flattened filetype
    std::vector<std::int64_t> prefix;  // data bytes before block i of ft
    bool contiguous() const { return ft->contiguous(); }
};

struct Segment {
    std::int64_t off = 0;  // absolute file offset
    std::int64_t len = 0;
};

// File segments of view data bytes [pos, pos + n), in view order (ascending for legal views).
std::vector<Segment> map_view(const View& v, std::int64_t pos, std::int64_t n);
// View data bytes that lie before absolute file offset `off` (for SEEK_END and the EOF of reads).
std::int64_t view_bytes_before(const View& v, std::int64_t off);
void set_default_view(View& v);
void release_view(View& v);

// The nonblocking collectives (i*_all) of one file, run in initiation order by one worker
// thread (collective_queue.cpp). Every other call that uses the file's communicator drains it
// first, so the communicator is never used by two threads at once.
class CollectiveQueue {
  public:
    struct State;
    CollectiveQueue();
    CollectiveQueue(const CollectiveQueue&) = delete;
    CollectiveQueue& operator=(const CollectiveQueue&) = delete;
    ~CollectiveQueue();
    // Queues job behind the earlier ones, starting the worker on first use. Without a worker
    // (it could not start, or the queue was stopped) the job runs here before push returns.
    void push(std::function<void()> job);
    // Returns once every job pushed before the call has run (or the worker has ended).
    void drain();
    // drain(), then ends the worker (MPI_File_close).
    void stop();

  private:
    std::shared_ptr<State> s_;
    std::thread worker_;
};

struct PfsFile {
    MPI_File handle = MPI_FILE_NULL;  // the real (dummy) handle the application holds
    MPI_Comm comm = MPI_COMM_NULL;    // private dup of the open communicator
    int rank = 0, nprocs = 1;
    int amode = 0;
    std::string path;  // PFS path (prefix stripped)
    int fd = -1;
    bool delete_on_close = false;
    int fp_owner = -1;        // world rank holding the shared file pointer (comm rank 0)
    std::uint64_t fp_id = 0;  // its counter there (view data bytes); also the lock table's id
    std::atomic<int> locks_held{0};  // byte-range locks this rank holds now (atomic mode)
    CollectiveQueue coll_queue;      // pending i*_all calls, in initiation order

    std::mutex mu;  // guards everything below
    View view;
    std::int64_t pos = 0;         // individual file pointer, view data bytes
    std::int64_t shared_pos = 0;  // shared file pointer replica (changed collectively only)
    bool atomic = false;
    Hints hints;
    // Split collective in progress (begin done, end not yet).
    bool split_active = false;
    int split_rc = MPI_SUCCESS;
    std::int64_t split_bytes = 0;
};

// ---- runtime (runtime.cpp) ---------------------------------------------------------------------
// The native client of this rank, created on first use; nullptr with *err set (an MPI error
// class) when this process is not a compute rank of a PFS job.
client::Client* get_client(int* err);
// Marks that mpi_tools::Job is (being) initialized in this process.
void note_job_started();
bool job_started();
// False when comm holds a rank that is not a compute rank of the job (MPI_COMM_WORLD in a PFS
// job holds the servers, which never join a collective: opening on it would hang).
bool comm_is_app_only(MPI_Comm comm);

namespace detail {
// A call whose return address lies in the job runtime (libmpi_tools) or in this library.
bool called_from_runtime(void* ret);
// world_shim.cpp: once set (by the intercepted MPI_Init of a preloaded compute rank), an
// application's MPI_COMM_WORLD stands for `app` (the compute ranks) in the wrapped calls.
void set_app_world(MPI_Comm app);
MPI_Comm app_world(MPI_Comm comm, void* caller);
// The attribute keys Open MPI predefines on the real MPI_COMM_WORLD only (MPI_TAG_UB, ...).
bool predefined_key(int keyval);
// runtime.cpp: the intercepted MPI_Init / MPI_Init_thread / MPI_Finalize; `caller` is the
// call's return address (nullptr: the application's own call, e.g. through Fortran).
int init(int* argc, char*** argv, int required, int* provided, void* caller, bool thread);
int finalize(void* caller);
// fortran.cpp: a Fortran MPI_COMM_WORLD stands for `app` (the compute ranks) until unmapped.
void map_fortran_world(MPI_Comm app);
void unmap_fortran_world();
}  // namespace detail

// ---- registry (registry.cpp) -------------------------------------------------------------------
enum class Lookup { not_ours, open, closed };
Lookup lookup(MPI_File fh, std::shared_ptr<PfsFile>* out);
// A dummy real handle for a new file (pool or fresh), its errhandler reset to MPI_FILE_NULL's.
int acquire_handle(MPI_File* fh);
void register_file(const std::shared_ptr<PfsFile>& f);
// Unregisters and returns the dummy to the pool (a stale copy then reads as closed).
void retire_file(const std::shared_ptr<PfsFile>& f);
// Closes the pooled dummies (before PMPI_Finalize).
void drain_pool();

// ---- errors (errors.cpp) -----------------------------------------------------------------------
// MPI error class for a PFS errno.
int error_class_of_errno(int err);
// A registered error code of class dm_aborted_class() whose string carries the errno.
int dm_aborted_code(int err);
int dm_aborted_class();
// errno of a code made by dm_aborted_code, 0 for any other code.
int dm_aborted_errno(int code);
// A PFS client errno as an MPI error code: the DM-abort code carrying it when the DM
// application refused this thread's operation with that errno, else error_class_of_errno.
// Consumes the thread's DM-abort record (pfs::client::last_dm_abort).
int client_error_code(int err);
// Invokes the errhandler of fh (MPI_FILE_NULL for open/delete) and returns code.
int raise_error(MPI_File fh, int code);
// Collective agreement over comm: every rank gets the same verdict; a rank that failed keeps
// its own code, the others get the class of the first failing rank.
int agree(MPI_Comm comm, int code);

// ---- services on the file's owner (comm rank 0), over the job's transport --------------------
// Message types of the driver (pfs/proto uses 1000-1999, the DMAPI core 2000-2999).
constexpr std::uint16_t kSharedFpReq = 3000;     // shared pointer: fetch-and-add / set
constexpr std::uint16_t kRangeLockReq = 3001;    // byte-range lock: acquire (answered at grant)
constexpr std::uint16_t kRangeUnlockReq = 3002;  // byte-range lock: release / cancel

// ---- shared file pointer (shared_fp.cpp)
// ---------------------------------------------------------
enum class FpOp : std::uint8_t { fetch_add, set };
void serve_shared_fp(mpi_tools::Transport& t);  // once per process, with the client
std::uint64_t shared_fp_create(std::int64_t initial);
void shared_fp_destroy(std::uint64_t id);
// *old = the pointer before the operation. Returns an MPI error code.
int shared_fp_op(const PfsFile& f, FpOp op, std::int64_t arg, std::int64_t* old);

// ---- byte-range locks of atomic mode (range_lock.cpp) ----------------------------------------
void serve_range_locks(mpi_tools::Transport& t);  // once per process, with the client
void range_locks_create(std::uint64_t id);        // on the owner, at open (id = fp_id)
// On the owner, at close: every lock of the file dropped, waiters answered with an error.
void range_locks_destroy(std::uint64_t id);
// Locks file bytes [lo, hi) of f at its owner; waits (FIFO) until granted or the client's
// deadline. *token names the lock for range_unlock. Returns an MPI error code.
int range_lock(PfsFile& f, LockMode m, std::int64_t lo, std::int64_t hi, std::uint64_t* token);
int range_unlock(PfsFile& f, std::uint64_t token);
// Releases (or cancels) every lock of this rank on f (close; nothing when it holds none).
void range_unlock_all(PfsFile& f);

// ---- data path (io.cpp, collective.cpp)
// ----------------------------------------------------------
// A transfer through an external32 view (datarep.cpp): the data as a contiguous external32
// stream, and for a read where to unpack it.
struct Conversion {
    Conversion() = default;
    Conversion(const Conversion&) = delete;
    Conversion& operator=(const Conversion&) = delete;
    ~Conversion();
    std::vector<char> stream;
    void* user_buf = nullptr;
    int user_count = 0;
    MPI_Datatype user_type = MPI_DATATYPE_NULL;  // a duplicate (reads), freed with this
};
struct Transfer {
    bool write = false;
    std::int64_t pos = 0;  // view data bytes where the access starts
    void* buf = nullptr;
    std::int64_t count = 0;
    std::shared_ptr<const Flat> mem;   // flattened memory datatype
    std::shared_ptr<Conversion> conv;  // external32 view: buf/count/mem describe the stream
    std::int64_t bytes() const { return count * mem->size; }
};
// datarep.cpp. Whether set_view accepts `datarep` with these (flattened) types: native,
// internal (the same), and external32 when etype and filetype keep their sizes in it.
bool datarep_supported(const char* datarep, const Flat& etype, const Flat& filetype);
// In an external32 view, turns *t (the user's buffer, count and type dt) into a transfer of its
// external32 stream (a write is packed here). Returns an MPI error code.
int begin_conversion(PfsFile& f, MPI_Datatype dt, Transfer* t);
// After a read: unpacks the stream's whole items into the user's buffer; *bytes becomes their
// size. No-op for writes and native views.
int finish_conversion(const Transfer& t, std::int64_t* bytes);
// Independent access: returns an MPI error code; *done = data bytes moved.
int io_independent(PfsFile& f, const Transfer& t, std::int64_t* done);
// Collective access over f.comm (two-phase when it pays off); errors agreed. arg_rc is this
// rank's argument check: any rank's failure makes every rank return before data moves.
int io_collective(PfsFile& f, const Transfer& t, std::int64_t* done, int arg_rc);

}  // namespace pfs::mpiio
