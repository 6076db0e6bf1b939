#include "cli_server.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "cli_protocol.hpp"
#include "cli_socket_io.hpp"
#include "mpi_tools/volume_map.hpp"
#include "pfs/client/client.hpp"

namespace pfs::server {

namespace {

using json = nlohmann::json;
using pfs::client::Client;
using namespace pfs::cli;

json error_reply(int err, const std::string& msg = {}) {
    return json{{"err", err}, {"msg", msg.empty() ? std::strerror(err) : msg}};
}

json ok_reply() {
    return json{{"err", 0}};
}

const char* type_name(FileType t) {
    switch (t) {
        case FileType::dir:
            return "dir";
        case FileType::symlink:
            return "symlink";
        case FileType::file:
            break;
    }
    return "file";
}

json attr_json(const Attr& a) {
    json j{{"ino", a.ino},           {"gen", a.gen},          {"type", type_name(a.type)},
           {"mode", a.mode},         {"uid", a.uid},          {"gid", a.gid},
           {"nlink", a.nlink},       {"size", a.size},        {"atime_ns", a.atime_ns},
           {"mtime_ns", a.mtime_ns}, {"ctime_ns", a.ctime_ns}};
    if (a.type == FileType::file)
        j["layout"] = {{"stripe_size", a.layout.stripe_size},
                       {"stripe_count", a.layout.stripe_count},
                       {"first_server", a.layout.first_server}};
    return j;
}

std::string join(const std::string& dir, const std::string& name) {
    return dir == "/" ? "/" + name : dir + "/" + name;
}

class CliServer {
  public:
    explicit CliServer(mpi_tools::Job& job) : job_(job) {}
    void run();

  private:
    // The process's client, made at the first request; nullptr (and *err) while the servers
    // do not answer (tried again at the next request).
    Client* client(int* err);
    void serve(int fd);
    json execute(const json& q, Client& c, int fd, Reader& in);
    json op_ls(Client& c, const std::string& path, bool long_format);
    json op_mkdir(Client& c, const std::string& path, bool parents);
    json op_df(Client& c);
    json op_put(Client& c, const json& q, int fd, Reader& in);
    json op_get(Client& c, const std::string& path, int fd);

    mpi_tools::Job& job_;
    std::mutex client_mu_;
    std::unique_ptr<Client> client_;
    std::atomic<int> active_{0};
};

Client* CliServer::client(int* err) {
    std::lock_guard lk(client_mu_);
    if (client_ && client_->connect_error() == 0) return client_.get();
    client_.reset();
    auto opt = pfs::client::ClientOptions::from_env();
    opt.dm_events = true;  // the CLI is a user like any other: DM applications see its I/O
    client_ = std::make_unique<Client>(job_, opt);
    if (client_->connect_error() != 0) {
        *err = client_->connect_error();
        client_.reset();
        return nullptr;
    }
    return client_.get();
}

json CliServer::op_ls(Client& c, const std::string& path, bool long_format) {
    auto st = c.stat(path);
    if (!st) return error_reply(st.error());
    json entries = json::array();
    if (st->type != FileType::dir) {  // like ls: a file lists itself
        json e{{"name", path}, {"type", type_name(st->type)}};
        if (long_format) e["attr"] = attr_json(*st);
        entries.push_back(std::move(e));
    } else {
        auto list = c.readdir(path);
        if (!list) return error_reply(list.error());
        for (const auto& d : *list) {
            if (d.name == "." || d.name == "..") continue;
            json e{{"name", d.name}, {"type", type_name(d.type)}};
            if (long_format) {
                // A name removed since readdir is left out, as ls does.
                auto a = c.lstat(join(path, d.name));
                if (!a) continue;
                e["attr"] = attr_json(*a);
            }
            entries.push_back(std::move(e));
        }
    }
    json r = ok_reply();
    r["entries"] = std::move(entries);
    r["dir"] = st->type == FileType::dir;
    return r;
}

json CliServer::op_mkdir(Client& c, const std::string& path, bool parents) {
    if (!parents) {
        auto r = c.mkdir(path);
        return r ? ok_reply() : error_reply(r.error());
    }
    // mkdir -p: every missing component; an existing directory is fine, anything else is not.
    std::string cur;
    std::size_t pos = 1;
    while (pos <= path.size()) {
        std::size_t next = path.find('/', pos);
        if (next == std::string::npos) next = path.size();
        if (next > pos) {
            cur += "/" + path.substr(pos, next - pos);
            auto r = c.mkdir(cur);
            if (!r && r.error() != EEXIST)
                return error_reply(r.error(), cur + ": " + std::strerror(r.error()));
            if (!r) {
                auto a = c.stat(cur);
                if (!a) return error_reply(a.error());
                if (a->type != FileType::dir)
                    return error_reply(ENOTDIR, cur + ": " + std::strerror(ENOTDIR));
            }
        }
        pos = next + 1;
    }
    return ok_reply();
}

json CliServer::op_df(Client& c) {
    auto vols = c.statfs();
    if (!vols) return error_reply(vols.error());
    json list = json::array();
    for (const auto& v : *vols)
        list.push_back({{"index", v.index},
                        {"rank", v.world_rank},
                        {"total", v.stat.total_bytes},
                        {"used", v.stat.used_bytes},
                        {"free", v.stat.free_bytes}});
    json r = ok_reply();
    r["volumes"] = std::move(list);
    r["quota_per_volume"] = c.fs_info().quota_per_volume;
    return r;
}

json CliServer::op_put(Client& c, const json& q, int fd, Reader& in) {
    std::string path = q.at("path").get<std::string>();
    const auto size = q.at("size").get<std::uint64_t>();
    const auto name = q.value("name", std::string{});
    // cp into an existing directory: the source's name in it.
    if (auto st = c.stat(path); st && st->type == FileType::dir) {
        if (name.empty() || name.find('/') != std::string::npos)
            return error_reply(EISDIR, path + ": is a directory");
        path = join(path, name);
    }
    auto opened = c.open(path, O_CREAT | O_WRONLY | O_TRUNC, q.value("mode", 0644u) & 07777u);
    if (!opened) return error_reply(opened.error(), path + ": " + std::strerror(opened.error()));
    const int pfd = *opened;
    json ready = ok_reply();
    ready["path"] = path;
    if (write_line(fd, ready.dump())) {
        (void)c.close(pfd);
        (void)c.unlink(path);  // the CLI is gone: no half-written file stays
        return ok_reply();     // nobody to answer
    }
    std::vector<char> buf(std::min<std::uint64_t>(size, kCopyChunk));
    std::uint64_t done = 0;
    int err = 0;
    while (done < size && err == 0) {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(size - done, buf.size()));
        if (int e = in.read_exact(buf.data(), n)) {
            err = e;
            break;
        }
        auto w = c.pwrite(pfd, buf.data(), n, static_cast<std::int64_t>(done));
        if (!w) err = w.error();
        done += n;
    }
    if (err == 0)
        if (auto r = c.fsync(pfd); !r) err = r.error();
    if (auto r = c.close(pfd); !r && err == 0) err = r.error();
    if (err != 0) {
        (void)c.unlink(path);  // a partial copy is no copy
        return error_reply(err, path + ": " + std::strerror(err));
    }
    json r = ok_reply();
    r["path"] = path;
    r["size"] = size;
    return r;
}

json CliServer::op_get(Client& c, const std::string& path, int fd) {
    auto opened = c.open(path, O_RDONLY);
    if (!opened) return error_reply(opened.error());
    const int pfd = *opened;
    auto st = c.fstat(pfd);
    if (!st || st->type != FileType::file) {
        (void)c.close(pfd);
        return error_reply(st ? EISDIR : st.error());
    }
    json head = ok_reply();
    head["size"] = st->size;
    head["mode"] = st->mode;
    if (write_line(fd, head.dump())) {
        (void)c.close(pfd);
        return ok_reply();
    }
    std::vector<char> buf(std::min<std::uint64_t>(st->size, kCopyChunk));
    std::uint64_t done = 0;
    int err = 0;
    while (done < st->size) {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(st->size - done, buf.size()));
        auto r = c.pread(pfd, buf.data(), n, static_cast<std::int64_t>(done));
        // A file cut shorter meanwhile: the promised size cannot be sent.
        if (!r || *r != n) {
            err = r ? EIO : r.error();
            break;
        }
        if (write_all(fd, buf.data(), n)) {
            err = EPIPE;
            break;
        }
        done += n;
    }
    (void)c.close(pfd);
    // After an error the stream is short: closing the connection tells the CLI (it then sees
    // the connection end before the promised size).
    if (err != 0) ::shutdown(fd, SHUT_RDWR);
    return ok_reply();
}

json CliServer::execute(const json& q, Client& c, int fd, Reader& in) {
    const auto op = q.at("op").get<std::string>();
    if (op == "df") return op_df(c);
    if (op == "scrub") {
        auto s = c.scrub_orphans(q.value("dry_run", false));
        if (!s) return error_reply(s.error());
        json r = ok_reply();
        r["objects"] = s->objects;
        r["orphans"] = s->orphans;
        r["removed"] = s->removed;
        return r;
    }
    const auto path = q.at("path").get<std::string>();
    if (op == "ls") return op_ls(c, path, q.value("long", false));
    if (op == "stat") {
        auto a = c.lstat(path);
        if (!a) return error_reply(a.error());
        json r = ok_reply();
        r["attr"] = attr_json(*a);
        return r;
    }
    if (op == "mkdir") return op_mkdir(c, path, q.value("parents", false));
    if (op == "rm") {
        auto r = c.unlink(path);
        return r ? ok_reply() : error_reply(r.error());
    }
    if (op == "rmdir") {
        auto r = c.rmdir(path);
        return r ? ok_reply() : error_reply(r.error());
    }
    if (op == "put") return op_put(c, q, fd, in);
    if (op == "get") return op_get(c, path, fd);
    return error_reply(ENOSYS, "unknown operation '" + op + "'");
}

void CliServer::serve(int fd) {
    set_timeouts(fd, kServerReadTimeout);
    Reader in(fd);
    std::string line;
    json reply;
    if (active_.fetch_add(1) >= kMaxConnections) {
        reply = error_reply(EBUSY, "too many pfs commands at once; try again");
    } else if (int e = in.read_line(&line, kMaxLine)) {
        reply = error_reply(e, "no request: " + std::string(std::strerror(e)));
    } else {
        try {
            const json q = json::parse(line);
            int err = 0;
            Client* c = client(&err);
            reply = c ? execute(q, *c, fd, in)
                      : error_reply(err, std::string("the PFS servers do not answer: ") +
                                             std::strerror(err));
        } catch (const json::exception& ex) {
            reply = error_reply(EBADMSG, std::string("bad request: ") + ex.what());
        }
    }
    // The one reply, or the last line of put and get (after their data).
    (void)write_line(fd, reply.dump());
    active_.fetch_sub(1);
    ::close(fd);
}

void CliServer::run() {
    const std::string dir = job_.run_dir() + "/" + kSocketDir;
    const std::string path = socket_path(job_.run_dir());
    ::mkdir(dir.c_str(), 0700);
    ::chmod(dir.c_str(), 0700);  // only the job's owner reaches the file system through it
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) {
        std::fprintf(stderr, "pfs-server: socket path %s too long (%zu bytes): no pfs command\n",
                     path.c_str(), path.size());
        return;
    }
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    ::unlink(path.c_str());            // a socket left by an earlier job in the same run dir
    const mode_t old = ::umask(0077);  // no window in which the socket is open to others
    const int b = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    ::umask(old);
    if (b != 0 || ::listen(fd, 16) != 0) {
        std::fprintf(stderr, "pfs-server: socket %s: %s: no pfs command\n", path.c_str(),
                     std::strerror(errno));
        ::close(fd);
        return;
    }
    ::chmod(path.c_str(), 0600);
    for (;;) {
        const int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) {
            if (errno != EINTR) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        std::thread([this, c] { serve(c); }).detach();
    }
}

}  // namespace

void start_cli_server(mpi_tools::Job& job) {
    if (job.run_dir().empty()) return;
    // Lives until the process exits, like the rank's stores.
    auto* server = new CliServer(job);
    std::thread([server] { server->run(); }).detach();
}

void take_over_cli_server(mpi_tools::Job& job) {
    if (job.run_dir().empty()) return;
    auto started = std::make_shared<std::atomic<bool>>(false);
    job.on_recovered([&job, started](const std::vector<int>& members) {
        // The rank that now serves the metadata volume of a dead first meta rank serves the
        // command too (run() replaces the dead holder's socket file). Its client is created at
        // the first request, after the adoption has registered the metadata service here.
        if (!mpi_tools::VolumeMap(job.layout(), members).serves_meta(job.rank())) return;
        if (started->exchange(true)) return;
        std::fprintf(stderr, "pfs-server[%d]: serving the pfs command (%s)\n", job.rank(),
                     socket_path(job.run_dir()).c_str());
        start_cli_server(job);
    });
}

}  // namespace pfs::server
