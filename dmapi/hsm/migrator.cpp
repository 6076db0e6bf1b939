#include "migrator.hpp"

#include <signal.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "log.hpp"
#include "remote_worker.hpp"

namespace pfs::hsm {

// ---- RateLimiter / FileLocks ----------------------------------------------------------------

void RateLimiter::take(std::uint64_t bytes) {
    if (rate_ == 0) return;
    std::unique_lock lk(mu_);
    const auto now = std::chrono::steady_clock::now();
    credit_ += std::chrono::duration<double>(now - last_).count() * static_cast<double>(rate_);
    // At most 50 ms of burst: the background copy stays smooth, so a short foreground job
    // meets the average rate, not a full-speed burst.
    if (credit_ > 0.05 * static_cast<double>(rate_)) credit_ = 0.05 * static_cast<double>(rate_);
    last_ = now;
    credit_ -= static_cast<double>(bytes);
    if (credit_ < 0) {
        const double wait = -credit_ / static_cast<double>(rate_);
        lk.unlock();
        std::this_thread::sleep_for(std::chrono::duration<double>(wait));
    }
}

FileLocks::Guard::Guard(FileLocks& l, const FileId& id, bool try_only) : locks_(l), id_(id) {
    {
        std::lock_guard g(l.mu_);
        auto& e = l.map_[id];
        if (!e.first) e.first = std::make_shared<std::mutex>();
        ++e.second;
        m_ = e.first;
    }
    if (try_only) {
        owns_ = m_->try_lock();
    } else {
        m_->lock();
        owns_ = true;
    }
}

FileLocks::Guard::~Guard() {
    if (owns_) m_->unlock();
    std::lock_guard g(locks_.mu_);
    auto it = locks_.map_.find(id_);
    if (it != locks_.map_.end() && --it->second.second == 0) locks_.map_.erase(it);
}

// ---- Migrator -------------------------------------------------------------------------------

namespace {

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

Outcome fail(int err, std::string note) {
    return Outcome{err, 0, std::move(note)};
}

std::string errstr(int e) {
    return std::strerror(e);
}

// The managed regions of a partly recalled file: READ|WRITE|TRUNCATE over each run of blocks
// not online yet, WRITE|TRUNCATE over each run of recalled ones (a write still recalls the
// whole file, then marks it dirty), the last run to the end of the file. Reads of recalled
// blocks then raise no event. Empty when more runs than DM_CONFIG_MAX_MANAGED_REGIONS allows
// (32): the caller keeps one READ region over the whole file.
std::vector<dm_region_t> partial_regions(const StateRecord& r) {
    constexpr std::size_t kMaxRegions = 32;
    std::vector<dm_region_t> out;
    const std::size_t n = r.recalled.size();
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i;
        while (j < n && r.recalled[j] == r.recalled[i]) ++j;
        dm_region_t g{};
        g.rg_offset = static_cast<dm_off_t>(i * r.block_size);
        g.rg_size = j == n ? 0 : (j - i) * r.block_size;
        g.rg_flags = r.recalled[i] ? kRegionsPremigrated : kRegionsMigrated;
        out.push_back(g);
        if (out.size() > kMaxRegions) return {};
        i = j;
    }
    return out;
}

}  // namespace

Migrator::Migrator(dm_sessid_t sid, ArchiveBackend& backend, const Config& cfg)
    : sid_(sid), backend_(backend), cfg_(cfg) {}

void Migrator::hit(const char* point) {
    if (fail_point_.empty() || fail_point_ != point) return;
    log("fail point %s: SIGKILL", point);
    std::fflush(stdout);
    ::raise(SIGKILL);
}

void Migrator::pause_at(const char* point) {
    if (pause_point_.empty() || test_dir_.empty()) return;
    if (("," + pause_point_ + ",").find("," + std::string(point) + ",") == std::string::npos)
        return;
    const std::string base = test_dir_ + "/" + point;
    { std::ofstream(base + ".reached") << "1\n"; }
    log("pause point %s: waiting for %s.go", point, base.c_str());
    // Bounded: a test that never says go (because it checks that nothing completes during
    // the pause) gets the daemon going again after PFS_HSM_PAUSE_S seconds (default 120).
    const char* env = std::getenv("PFS_HSM_PAUSE_S");
    const int limit_ms = (env && *env ? std::atoi(env) : 120) * 1000;
    for (int i = 0; i < limit_ms / 10 && !std::filesystem::exists(base + ".go"); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    // Written before going on, while the right is still held: a user operation that completed
    // and then does not find this file completed inside the pause.
    { std::ofstream(base + ".continued") << "1\n"; }
    log("pause point %s: continuing", point);
}

void Migrator::mark(const char* name) {
    if (test_dir_.empty()) return;
    std::ofstream(test_dir_ + "/" + name) << "1\n";
}

int Migrator::load(DmFile& f, StateRecord* r, bool* has_record) {
    const int e = f.get_record(r);
    *has_record = e == 0;
    if (e == ENOENT) {
        *r = StateRecord{};
        return 0;
    }
    return e;
}

Outcome Migrator::archive(DmFile& f, bool dry_run, RateLimiter* limit) {
    FileLocks::Guard g(locks_, f.id());
    RightToken tok(sid_);
    return archive_locked(f, dry_run, limit, tok);
}

Outcome Migrator::load_settled(DmFile& f, StateRecord& r, bool& has, RightToken& tok) {
    if (int e = load(f, &r, &has)) return fail(e, "reading the record: " + errstr(e));
    if (r.phase == Phase::none) return Outcome{};
    return recover_locked(f, r, has, tok);
}

Outcome Migrator::archive_locked(DmFile& f, bool dry_run, RateLimiter* limit, RightToken& tok) {
    StateRecord r;
    bool has = false;
    if (Outcome o = load_settled(f, r, has, tok); o.err) return o;
    if (r.state == FileState::premigrated || r.state == FileState::migrated)
        return Outcome{0, 0, "already archived"};
    if (r.state == FileState::lost) return fail(EIO, "lost: data released and archive copy bad");
    std::uint64_t size = 0;
    if (int e = f.size(&size)) return fail(e, "stat: " + errstr(e));
    if (dry_run) return Outcome{0, size, "would archive"};

    // DM_RIGHT_SHARED for the whole copy, as Spectrum Protect's premigration copies a file no
    // one writes meanwhile: user writes and truncates wait until the copy is committed (then,
    // trapped by the region set below, they mark the file dirty), reads go on. Taken before
    // the region: a writer waiting for the right holds nothing dm_set_region waits for.
    if (int e = tok.take(f, DM_RIGHT_SHARED)) return fail(e, "DM right (shared): " + errstr(e));
    const StateRecord before = r;
    const std::string id = make_archive_id(f.id().fsid, f.id().ino, f.id().gen, now_ns());
    auto rollback = [&](int err, const std::string& why) {
        backend_.remove(id);
        (void)f.set_regions(0);
        if (has)
            (void)f.set_record(before);
        else
            (void)f.remove_record();
        return fail(err, why);
    };
    r.phase = Phase::archiving;
    r.pending_id = id;
    if (int e = f.set_record(r)) return fail(e, "journal: " + errstr(e));
    // From here on writes and truncates raise events; they wait for this file's lock and then
    // mark the file dirty, so the copy matches the data as it was when the region was set
    // (dm_set_region returns after writes in flight completed).
    if (int e = f.set_regions(kRegionsPremigrated)) return rollback(e, "region: " + errstr(e));
    hit("archive_after_journal");
    pause_at("archive_holding_right");
    if (int e = f.size(&size)) return rollback(e, "stat: " + errstr(e));
    std::unique_ptr<ArchiveWriter> w;
    if (int e = backend_.create(id, &w)) return rollback(e, "archive create: " + errstr(e));
    XXH3_state_t* xs = XXH3_createState();
    XXH3_64bits_reset(xs);
    // Block sums: the recall unit's own checksums, fed as the bytes stream by.
    const std::uint64_t block = block_size_for(size);
    XXH3_state_t* bs = XXH3_createState();
    XXH3_64bits_reset(bs);
    std::string sums;
    std::uint64_t in_block = 0;
    auto end_block = [&] {
        const std::uint64_t v = XXH3_64bits_digest(bs);
        for (int b = 0; b < 8; ++b) sums += static_cast<char>((v >> (8 * b)) & 0xff);
        XXH3_64bits_reset(bs);
        in_block = 0;
    };
    // Rate-limited copies move small pieces (1/20 s of the rate, >= 64 KiB), so the pacing
    // is fine-grained.
    std::uint64_t piece = cfg_.chunk_bytes;
    if (limit && limit->rate() > 0)
        piece = std::clamp<std::uint64_t>(limit->rate() / 20, 64u << 10, cfg_.chunk_bytes);
    std::vector<char> buf(piece);
    std::uint64_t off = 0;
    int err = 0;
    while (off < size) {
        const std::uint64_t want = std::min<std::uint64_t>(buf.size(), size - off);
        const dm_ssize_t n = f.read_invis(buf.data(), want, off);
        if (n < 0) {
            err = static_cast<int>(-n);
            break;
        }
        if (n == 0) break;  // the file is shorter than its size said: copy what exists
        XXH3_64bits_update(xs, buf.data(), static_cast<std::size_t>(n));
        for (std::uint64_t done = 0; done < static_cast<std::uint64_t>(n);) {
            const std::uint64_t k =
                std::min<std::uint64_t>(block - in_block, static_cast<std::uint64_t>(n) - done);
            XXH3_64bits_update(bs, buf.data() + done, k);
            done += k;
            in_block += k;
            if (in_block == block) end_block();
        }
        if ((err = w->write(buf.data(), static_cast<std::size_t>(n))) != 0) break;
        off += static_cast<std::uint64_t>(n);
        if (limit) limit->take(static_cast<std::uint64_t>(n));
        if (off >= size / 2) hit("archive_mid_copy");
    }
    const std::uint64_t sum = XXH3_64bits_digest(xs);
    XXH3_freeState(xs);
    if (in_block > 0) end_block();
    XXH3_freeState(bs);
    if (err != 0) {
        w.reset();
        return rollback(err, "copy: " + errstr(err));
    }
    if (off != size) {
        w.reset();
        return rollback(EIO, "copy: file shorter than its size");
    }
    if ((err = w->commit()) != 0) return rollback(err, "archive commit: " + errstr(err));
    hit("archive_before_record");
    // The sums go first: a record that names this copy always finds them.
    if (int e = sums.empty() ? f.remove_attr(kBlockSumsAttr) : f.set_attr(kBlockSumsAttr, sums))
        return rollback(e, "block sums: " + errstr(e));
    const std::string old_id = before.archive_id;
    r.state = FileState::premigrated;
    r.phase = Phase::none;
    r.archive_id = id;
    r.pending_id.clear();
    r.size = size;
    r.checksum = sum;
    r.block_size = block;
    r.recalled.clear();
    r.archived_at = static_cast<std::int64_t>(std::time(nullptr));
    if (!f.path().empty()) r.path = f.path();
    if (int e = f.set_record(r)) return rollback(e, "record: " + errstr(e));
    if (!old_id.empty() && old_id != id) backend_.remove(old_id);  // the stale copy of a dirty file
    counters_.archives++;
    counters_.archive_bytes += size;
    return Outcome{0, size, "archived"};
}

Outcome Migrator::release(DmFile& f, bool dry_run) {
    FileLocks::Guard g(locks_, f.id());
    RightToken tok(sid_);
    return release_locked(f, dry_run, tok);
}

Outcome Migrator::release_locked(DmFile& f, bool dry_run, RightToken& tok) {
    // DM_RIGHT_EXCL from the checks below ("unchanged since archived") through the punch and
    // the record: no user read or write runs in between, so no byte written after the checks
    // can be punched away, and no read sees a half-punched file. Users that wait for it find
    // the READ|WRITE region afterwards and recall. Upgrades migrate()'s shared right in place.
    if (!dry_run) {
        if (int e = tok.take(f, DM_RIGHT_EXCL)) return fail(e, "DM right (excl): " + errstr(e));
        pause_at("release_holding_right");
    }
    StateRecord r;
    bool has = false;
    if (Outcome o = load_settled(f, r, has, tok); o.err) return o;
    bool partly = false;
    for (bool b : r.recalled) partly |= b;
    if (r.state == FileState::migrated && !partly) return Outcome{0, 0, "already released"};
    if (r.state != FileState::premigrated && r.state != FileState::migrated)
        return fail(EINVAL, std::string("not archived (") + to_string(r.state) + ")");
    // Never release without a committed copy of the right size.
    std::uint64_t copy_size = 0;
    if (int e = backend_.stat(r.archive_id, &copy_size))
        return fail(EIO, "archive copy unavailable: " + errstr(e));
    if (copy_size != r.size) return fail(EIO, "archive copy has the wrong size");
    std::uint64_t size = 0;
    if (int e = f.size(&size)) return fail(e, "stat: " + errstr(e));
    if (size != r.size) return fail(ESTALE, "file size differs from its archive copy");
    // A premigrated file must still trap writes and truncates: without the region a change
    // could have happened without the dirty mark (another DM application cleared it).
    if (r.state == FileState::premigrated) {
        unsigned flags = 0;
        if (int e = f.get_regions(&flags)) return fail(e, "regions: " + errstr(e));
        if ((flags & kRegionsPremigrated) != kRegionsPremigrated)
            return fail(ESTALE, "write region missing: changes since the archive not tracked");
    }
    std::uint64_t resident = 0;
    (void)f.resident_bytes(&resident);
    if (dry_run) return Outcome{0, resident, "would release"};
    r.phase = Phase::releasing;
    if (int e = f.set_record(r)) return fail(e, "journal: " + errstr(e));
    if (int e = f.set_regions(kRegionsMigrated)) return fail(e, "region: " + errstr(e));
    hit("release_after_region");
    if (int e = f.punch(0, 0)) return fail(e, "punch: " + errstr(e));
    hit("release_after_punch");
    r.state = FileState::migrated;
    r.phase = Phase::none;
    r.recalled.clear();
    if (int e = f.set_record(r)) return fail(e, "record: " + errstr(e));
    counters_.releases++;
    return Outcome{0, resident, "released"};
}

Outcome Migrator::migrate(DmFile& f, bool dry_run, RateLimiter* limit) {
    FileLocks::Guard g(locks_, f.id());
    RightToken tok(sid_);  // one token: release upgrades the archive's shared right, no gap
    Outcome a = archive_locked(f, dry_run, limit, tok);
    if (a.err) return a;
    if (dry_run) return Outcome{0, a.bytes, "would migrate"};
    Outcome r = release_locked(f, false, tok);
    if (r.err) return r;
    return Outcome{0, r.bytes, r.note == "already released" ? r.note : "migrated"};
}

Outcome Migrator::migrate_unless_busy(DmFile& f) {
    FileLocks::Guard g(locks_, f.id(), true);
    if (!g.owns()) return fail(EBUSY, "busy");
    RightToken tok(sid_);
    Outcome a = archive_locked(f, false, nullptr, tok);
    if (a.err) return a;
    return release_locked(f, false, tok);
}

Outcome Migrator::recall(DmFile& f, bool dry_run) {
    FileLocks::Guard g(locks_, f.id());
    RightToken tok(sid_);
    StateRecord r;
    bool has = false;
    if (Outcome o = load_settled(f, r, has, tok); o.err) return o;
    if (r.state != FileState::migrated && r.state != FileState::lost)
        return Outcome{0, 0, "online"};
    if (dry_run) return Outcome{0, r.size, "would recall"};
    return recall_locked(f, r, 0, 0, true, tok);
}

void Migrator::punch_unverified(DmFile& f, const StateRecord& r) {
    if (r.block_size == 0 || r.recalled.empty()) {
        (void)f.punch(0, 0);
        return;
    }
    for (std::size_t i = 0; i < r.recalled.size(); ++i)
        if (!r.recalled[i]) (void)f.punch(i * r.block_size, r.block_size);
}

Outcome Migrator::recall_sequential(DmFile& f, StateRecord& r) {
    std::unique_ptr<ArchiveReader> rd;
    if (int e = backend_.open(r.archive_id, &rd))
        return fail(cfg_.recall_errno, "archive copy " + r.archive_id + ": " + errstr(e));
    XXH3_state_t* xs = XXH3_createState();
    XXH3_64bits_reset(xs);
    std::vector<char> buf(cfg_.chunk_bytes);
    std::uint64_t off = 0;
    int err = 0;
    while (off < r.size) {
        const std::uint64_t want = std::min<std::uint64_t>(buf.size(), r.size - off);
        const ssize_t n = rd->pread(buf.data(), want, off);
        if (n < 0 || static_cast<std::uint64_t>(n) != want) {
            err = n < 0 ? static_cast<int>(-n) : EIO;
            break;
        }
        XXH3_64bits_update(xs, buf.data(), want);
        dm_ssize_t w = f.write_invis(buf.data(), want, off);
        if (w == -ENOSPC && make_room_ && make_room_(f.id()) > 0)
            w = f.write_invis(buf.data(), want, off);
        if (w < 0 || static_cast<std::uint64_t>(w) != want) {
            err = w < 0 ? static_cast<int>(-w) : EIO;
            break;
        }
        off += want;
        if (off >= r.size / 2) hit("recall_mid_copy");
    }
    const std::uint64_t sum = XXH3_64bits_digest(xs);
    XXH3_freeState(xs);
    if (err != 0) return fail(err, "recall copy: " + errstr(err));
    if (sum != r.checksum) return fail(EBADMSG, "archive copy corrupt (xxh3 mismatch)");
    return Outcome{0, r.size, "recalled"};
}

Outcome Migrator::recall_locked(DmFile& f, StateRecord& r, std::uint64_t off, std::uint64_t len,
                                bool whole, RightToken& tok) {
    const int abort_errno = cfg_.recall_errno;
    // DM_RIGHT_EXCL while data is written back and the regions and state change: readers and
    // writers that did not raise an event (or whose event is answered) wait, then see the
    // whole verified data. The user operation that raised this recall's event is not among
    // them: it waits for the answer, which releases the right first.
    if (int e = tok.take(f, DM_RIGHT_EXCL)) {
        log("recall ino=%" PRIu64 ": DM right (excl): %s", f.id().ino, errstr(e).c_str());
        return fail(abort_errno, "DM right (excl): " + errstr(e));
    }
    auto mark_lost = [&](const std::string& why) {
        (void)f.punch(0, 0);  // nothing recalled stays: the region keeps trapping reads
        r.state = FileState::lost;
        r.phase = Phase::none;
        r.recalled.clear();
        (void)f.set_record(r);
        counters_.recall_failures++;
        log("recall ino=%" PRIu64 " FAILED: %s", f.id().ino, why.c_str());
        return fail(abort_errno, why);
    };
    std::uint64_t copy_size = 0;
    if (int e = backend_.stat(r.archive_id, &copy_size))
        return mark_lost("archive copy " + r.archive_id + ": " + errstr(e));
    if (copy_size != r.size) return mark_lost("archive copy has the wrong size");

    // Which blocks: the range's (or all), minus those already online.
    const std::uint64_t block = r.block_size;
    const std::uint64_t nblocks = block ? (r.size + block - 1) / block : 0;
    std::vector<std::uint64_t> need;
    std::string sums;
    if (block != 0) {
        if (f.get_attr(kBlockSumsAttr, &sums) != 0 || sums.size() != nblocks * 8)
            return mark_lost("block sums missing or of the wrong size");
        if (r.recalled.size() != nblocks) r.recalled.assign(nblocks, false);
        std::uint64_t first = 0, last = nblocks;  // [first, last)
        if (!whole) {
            first = std::min(off / block, nblocks);
            last = len == 0 ? nblocks : std::min((off + len + block - 1) / block, nblocks);
        }
        for (std::uint64_t i = first; i < last; ++i)
            if (!r.recalled[i]) need.push_back(i);
        if (need.empty()) {
            bool all = true;
            for (bool b : r.recalled) all &= b;
            if (!all) return Outcome{0, 0, "online already"};  // this range was recalled before
        }
    }
    r.phase = Phase::recalling;
    if (int e = f.set_record(r)) return fail(e, "journal: " + errstr(e));

    std::uint64_t moved = 0;
    if (block == 0) {
        Outcome o = recall_sequential(f, r);
        if (o.err == EBADMSG || o.err == abort_errno) return mark_lost(o.note);
        if (o.err) {
            (void)f.punch(0, 0);
            r.phase = Phase::none;
            (void)f.set_record(r);
            counters_.recall_failures++;
            return fail(abort_errno, o.note);
        }
        moved = o.bytes;
    } else if (!need.empty()) {
        std::unique_ptr<ArchiveReader> rd;
        if (int e = backend_.open(r.archive_id, &rd))
            return mark_lost("archive copy " + r.archive_id + ": " + errstr(e));
        // Blocks in parallel: each thread reads a block from the archive, checks its sum and
        // writes it back invisibly. A bad sum stops everything: no byte of it becomes visible.
        std::atomic<std::size_t> next{0}, done{0};
        std::atomic<int> err{0};
        std::atomic<bool> corrupt{false};
        const unsigned nthreads =
            static_cast<unsigned>(std::min<std::size_t>(cfg_.recall_threads, need.size()));
        auto sum_of = [&](std::uint64_t i) {
            std::uint64_t v = 0;
            for (int b = 0; b < 8; ++b)
                v |= static_cast<std::uint64_t>(static_cast<unsigned char>(sums[i * 8 + b]))
                     << (8 * b);
            return v;
        };
        // One block here: 0, EBADMSG (bad or short copy), or the PFS-side errno.
        auto local_block = [&](std::uint64_t i, std::vector<char>& buf) -> int {
            const std::uint64_t boff = i * block;
            const std::uint64_t n = std::min(block, r.size - boff);
            buf.resize(block);
            const ssize_t got = rd->pread(buf.data(), n, boff);
            if (got < 0 || static_cast<std::uint64_t>(got) != n) return EBADMSG;
            if (XXH3_64bits(buf.data(), n) != sum_of(i)) return EBADMSG;
            dm_ssize_t w = f.write_invis(buf.data(), n, boff);
            if (w == -ENOSPC && make_room_ && make_room_(f.id()) > 0)
                w = f.write_invis(buf.data(), n, boff);
            if (w < 0) return static_cast<int>(-w);
            return static_cast<std::uint64_t>(w) == n ? 0 : EIO;
        };
        // A copy thread: local (ws = DM_NO_SESSION), or the driver of a worker on another
        // rank, which falls back to local copies once that worker fails.
        std::atomic<std::size_t> remote_blocks{0};
        auto run = [&](dm_sessid_t ws) {
            std::vector<char> buf;
            for (;;) {
                const std::size_t k = next++;
                if (k >= need.size() || err.load() != 0 || corrupt.load()) return;
                const std::uint64_t i = need[k];
                int e = -1;
                if (ws != DM_NO_SESSION) {
                    const std::uint64_t boff = i * block;
                    e = remote_copy(ws, BlockJob{r.archive_id, f.id(), boff,
                                                 std::min(block, r.size - boff), sum_of(i)});
                    if (e == 0) ++remote_blocks;
                    if (e != 0 && e != EBADMSG) {
                        log("recall worker session %d: %s; copying locally", ws, errstr(e).c_str());
                        ws = DM_NO_SESSION;
                        e = -1;
                    }
                }
                if (e == -1) e = local_block(i, buf);
                if (e == EBADMSG) {
                    corrupt = true;
                    return;
                }
                if (e != 0) {
                    int zero = 0;
                    err.compare_exchange_strong(zero, e);
                    return;
                }
                if (++done * 2 >= need.size()) hit("recall_mid_copy");
            }
        };
        std::vector<dm_sessid_t> remote;
        if (workers_) remote = workers_();
        std::vector<std::thread> pool;
        for (unsigned t = 1; t < nthreads; ++t) pool.emplace_back(run, DM_NO_SESSION);
        for (std::size_t w = 0; w < remote.size() && w + nthreads < need.size() + 1; ++w)
            pool.emplace_back(run, remote[w]);
        run(DM_NO_SESSION);
        for (auto& t : pool) t.join();
        last_remote_blocks_ = remote_blocks.load();
        if (corrupt) return mark_lost("archive copy corrupt (xxh3 mismatch)");
        if (err != 0) {
            // A PFS-side failure is not the archive's fault: stay migrated, let the user retry.
            punch_unverified(f, r);
            r.phase = Phase::none;
            (void)f.set_record(r);
            counters_.recall_failures++;
            return fail(abort_errno, "recall copy: " + errstr(err));
        }
        for (auto i : need) {
            r.recalled[i] = true;
            moved += std::min(block, r.size - i * block);
        }
    }
    if (int e = f.sync()) return fail(e, "sync: " + errstr(e));
    hit("recall_before_record");
    bool all = true;
    for (bool b : r.recalled) all &= b;
    if (block != 0 && !all) {
        // Partly online: the record remembers which blocks were verified, then the READ region
        // shrinks to the blocks still offline (record first: a daemon killed in between
        // leaves the larger region, whose events on online blocks are answered at once). The
        // exclusive right is still held: no read runs while the regions change.
        r.phase = Phase::none;
        if (int e = f.set_record(r)) return fail(e, "record: " + errstr(e));
        if (const auto regions = partial_regions(r); !regions.empty()) {
            if (int e = f.set_region_list(regions))
                log("recall ino=%" PRIu64 ": shrinking the read region: %s", f.id().ino,
                    errstr(e).c_str());
        }
        counters_.recall_bytes += moved;
        return Outcome{0, moved, "recalled in part"};
    }
    if (int e = f.set_regions(kRegionsPremigrated)) return fail(e, "region: " + errstr(e));
    r.state = FileState::premigrated;
    r.phase = Phase::none;
    r.recalled.clear();
    if (int e = f.set_record(r)) return fail(e, "record: " + errstr(e));
    counters_.recalls++;
    counters_.recall_bytes += moved;
    return Outcome{0, moved, "recalled"};
}

Outcome Migrator::remove_copy(DmFile& f, bool dry_run) {
    FileLocks::Guard g(locks_, f.id());
    RightToken tok(sid_);
    StateRecord r;
    bool has = false;
    if (Outcome o = load_settled(f, r, has, tok); o.err) return o;
    if (!has || r.archive_id.empty()) return Outcome{0, 0, "no archive copy"};
    if (r.state == FileState::migrated || r.state == FileState::lost)
        return fail(EBUSY, "data released: recall it first");
    if (dry_run) return Outcome{0, r.size, "would remove archive copy"};
    r.phase = Phase::removing;
    if (int e = f.set_record(r)) return fail(e, "journal: " + errstr(e));
    StateRecord copy = r;
    return recover_locked(f, copy, true, tok);  // the removal is its own roll-forward
}

Outcome Migrator::recover(DmFile& f) {
    FileLocks::Guard g(locks_, f.id());
    RightToken tok(sid_);
    StateRecord r;
    bool has = false;
    if (int e = load(f, &r, &has)) return fail(e, "reading the record: " + errstr(e));
    if (r.phase == Phase::none) return Outcome{0, 0, "clean"};
    return recover_locked(f, r, has, tok);
}

Outcome Migrator::recover_locked(DmFile& f, StateRecord& r, bool has_record, RightToken& tok) {
    const Phase was = r.phase;
    // DM_RIGHT_EXCL: the rights of the step's first run died with its session (or its token's
    // answer); rolling forward (punch) or back (punch the unverified blocks) must again keep
    // user I/O out. The record is re-read under the right: it is what the step left.
    if (r.phase != Phase::none) {
        if (int e = tok.take(f, DM_RIGHT_EXCL)) return fail(e, "DM right (excl): " + errstr(e));
        bool has = false;
        if (int e = load(f, &r, &has)) return fail(e, "reading the record: " + errstr(e));
        has_record = has;
    }
    switch (r.phase) {
        case Phase::none:
            return Outcome{0, 0, "clean"};
        case Phase::archiving: {
            // Roll back: the copy may be partial or uncommitted; the previous state is intact.
            if (!r.pending_id.empty()) backend_.remove(r.pending_id);
            r.pending_id.clear();
            r.phase = Phase::none;
            (void)f.set_regions(r.state == FileState::premigrated ? kRegionsPremigrated : 0);
            int e = 0;
            if (r.state == FileState::resident && r.archive_id.empty())
                e = f.remove_record();
            else
                e = f.set_record(r);
            if (e) return fail(e, "rollback of archiving: " + errstr(e));
            break;
        }
        case Phase::releasing: {
            // Roll forward: the copy was verified before the journal entry was written.
            if (int e = f.set_regions(kRegionsMigrated)) return fail(e, "region: " + errstr(e));
            if (int e = f.punch(0, 0)) return fail(e, "punch: " + errstr(e));
            r.state = FileState::migrated;
            r.phase = Phase::none;
            r.recalled.clear();
            if (int e = f.set_record(r)) return fail(e, "record: " + errstr(e));
            break;
        }
        case Phase::recalling: {
            // Roll back to released: the bytes written so far were never verified (the READ
            // region hid them); the leftover event, delivered again, recalls from scratch.
            if (int e = f.set_regions(kRegionsMigrated)) return fail(e, "region: " + errstr(e));
            punch_unverified(f, r);
            r.phase = Phase::none;
            if (int e = f.set_record(r)) return fail(e, "record: " + errstr(e));
            break;
        }
        case Phase::removing: {
            if (int e = backend_.remove(r.archive_id); e != 0 && e != ENOENT)
                return fail(e, "archive remove: " + errstr(e));
            if (int e = f.set_regions(0)) return fail(e, "region: " + errstr(e));
            if (int e = f.remove_attr(kBlockSumsAttr)) return fail(e, "sums: " + errstr(e));
            if (int e = f.remove_record()) return fail(e, "record: " + errstr(e));
            counters_.copies_removed++;
            r = StateRecord{};
            return Outcome{0, 0, "archive copy removed"};
        }
    }
    (void)has_record;
    return Outcome{0, 0, std::string("recovered (") + to_string(was) + ")"};
}

int Migrator::on_read(DmFile& f, dm_token_t token, std::uint64_t off, std::uint64_t len) {
    mark("read_event");
    FileLocks::Guard g(locks_, f.id());
    RightToken tok(sid_, token);
    StateRecord r;
    bool has = false;
    if (int e = load(f, &r, &has)) return e == EBADF ? 0 : cfg_.recall_errno;
    if (!has) return 0;  // not ours (a region another application set): let it go
    if (r.phase != Phase::none) {
        Outcome o = recover_locked(f, r, has, tok);
        if (o.err) return cfg_.recall_errno;
    }
    if (r.state == FileState::migrated || r.state == FileState::lost) {
        Outcome o = recall_locked(f, r, off, len, !cfg_.partial_recall, tok);
        if (o.err) return o.err;
        if (o.bytes > 0)
            log("recalled ino=%" PRIu64 " %" PRIu64
                " bytes (read%s); %zu blocks by workers on "
                "other ranks",
                f.id().ino, o.bytes, o.note == "recalled" ? "" : ", partial",
                last_remote_blocks_.load());
        return 0;
    }
    // Online already (an earlier event recalled it): make the region match the state.
    (void)f.set_regions(r.state == FileState::premigrated ? kRegionsPremigrated : 0);
    return 0;
}

int Migrator::on_write(DmFile& f, dm_token_t token, bool truncate, std::uint64_t new_size) {
    mark("write_event");
    FileLocks::Guard g(locks_, f.id());
    RightToken tok(sid_, token);
    StateRecord r;
    bool has = false;
    if (int e = load(f, &r, &has)) return e == EBADF ? 0 : cfg_.recall_errno;
    if (!has) return 0;
    if (r.phase != Phase::none) {
        Outcome o = recover_locked(f, r, has, tok);
        if (o.err) return cfg_.recall_errno;
    }
    if (r.state == FileState::migrated || r.state == FileState::lost) {
        if (truncate && new_size == 0) {
            // Nothing of the old data survives the cut: no recall needed.
            r.state = FileState::dirty;
            if (int e = f.set_record(r)) return e;
            return f.set_regions(0) == 0 ? 0 : EIO;
        }
        Outcome o = recall_locked(f, r, 0, 0, true, tok);
        if (o.err) return o.err;
        log("recalled ino=%" PRIu64 " %" PRIu64 " bytes (%s)", f.id().ino, o.bytes,
            truncate ? "truncate" : "write");
    }
    if (r.state == FileState::premigrated) {
        r.state = FileState::dirty;  // the archive copy no longer matches the data
        if (int e = f.set_record(r)) return e;
    }
    return f.set_regions(0) == 0 ? 0 : EIO;
}

void Migrator::on_destroy(const std::string& record_copy, const FileId& id) {
    if (record_copy.empty()) return;
    StateRecord r;
    std::string err;
    if (!decode(record_copy, &r, &err)) {
        log("destroy ino=%" PRIu64 ": unreadable record copy (%s)", id.ino, err.c_str());
        return;
    }
    if (cfg_.keep_archive_on_destroy) {
        log("destroy ino=%" PRIu64 ": archive copy %s kept (keep_archive_on_destroy)", id.ino,
            r.archive_id.c_str());
        return;
    }
    for (const auto* aid : {&r.archive_id, &r.pending_id}) {
        if (aid->empty()) continue;
        const int e = backend_.remove(*aid);
        if (e == 0) counters_.copies_removed++;
        log("destroy ino=%" PRIu64 ": archive copy %s %s", id.ino, aid->c_str(),
            e == 0 ? "deleted" : errstr(e).c_str());
    }
}

std::string Migrator::state_line(DmFile& f) {
    StateRecord r;
    bool has = false;
    const std::string name = f.path().empty() ? "ino " + std::to_string(f.id().ino) : f.path();
    if (int e = load(f, &r, &has)) return name + ": error " + errstr(e);
    // Lustre's HS_* bits: EXISTS 0x1, DIRTY 0x2, RELEASED 0x4, ARCHIVED 0x8, LOST 0x40.
    unsigned flags = 0;
    std::string words;
    switch (r.state) {
        case FileState::resident:
            break;
        case FileState::premigrated:
            flags = 0x9, words = " exists archived";
            break;
        case FileState::migrated:
            flags = 0xd, words = " released exists archived";
            break;
        case FileState::dirty:
            flags = 0xb, words = " exists dirty archived";
            break;
        case FileState::lost:
            flags = 0x4d, words = " released exists archived lost";
            break;
    }
    char b[256];
    std::snprintf(b, sizeof b, ": (0x%08x)%s, state:%s", flags, words.c_str(), to_string(r.state));
    std::string out = name + b;
    if (!r.archive_id.empty()) {
        std::snprintf(b, sizeof b, ", size:%" PRIu64 ", xxh3:%016" PRIx64, r.size, r.checksum);
        out += ", archive_id:" + r.archive_id + b + ", location:" + backend_.location(r.archive_id);
    }
    std::size_t online = 0;
    for (bool on : r.recalled) online += on;
    if (online > 0)
        out += ", partially recalled:" + std::to_string(online) + "/" +
               std::to_string(r.recalled.size()) + " blocks";
    if (r.phase != Phase::none) out += std::string(", journal:") + to_string(r.phase);
    return out;
}

}  // namespace pfs::hsm
