#include "runtime/exec/process.hpp"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>

namespace raftor::exec {

namespace {

struct Hasher {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    Hasher() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
    ~Hasher() { EVP_MD_CTX_free(ctx); }
    void add(const char* p, std::size_t n) { EVP_DigestUpdate(ctx, p, n); }
    crypto::Digest done() {
        crypto::Digest d{};
        unsigned n = 0;
        EVP_DigestFinal_ex(ctx, d.data(), &n);
        return d;
    }
};

void kill_group(pid_t pid) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
}

}  // namespace

ProcessResult run_process(const ProcessSpec& spec, const std::atomic<bool>& cancel) {
    ProcessResult out;
    const auto begin = std::chrono::steady_clock::now();
    auto elapsed_ms = [&] {
        return static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begin).count());
    };
    if (spec.argv.empty()) {
        out.end = ProcessResult::End::failed_to_start;
        out.error = "argv is empty";
        return out;
    }
    auto refuse = [&](std::string why) {
        out.end = ProcessResult::End::failed_to_start;
        out.error = std::move(why);
        return out;
    };
    auto path_var = spec.env.find("PATH");
    const std::string path =
        resolve_program(spec.argv[0], path_var != spec.env.end() ? path_var->second : "/usr/local/bin:/usr/bin:/bin");
    if (path.empty()) return refuse("'" + spec.argv[0] + "' is not an executable in PATH");
    if (auto why = program_refused(path, spec.sandbox.allowed_programs)) return refuse(*why);
    // Everything the child needs is built before it is spawned.
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : spec.env) {
        if (k.empty() || k.find('=') != std::string::npos) return refuse("environment variable name '" + k + "'");
        env_strings.push_back(k + "=" + v);
    }
    if (!spec.env.count("PATH")) env_strings.push_back("PATH=/usr/local/bin:/usr/bin:/bin");
    // unshare (a PID namespace) and setpriv (the drop to handlers.user) exec the next
    // program in the same process, so the group, the pipes and the timeout's kill are
    // the same. They run with a clean environment; env -i gives the handler its own.
    std::vector<std::string> args = spec.sandbox.contain;
    if (spec.run_as)
        for (auto& a : run_as_prefix(*spec.run_as)) args.push_back(std::move(a));
    const bool wrapped = !args.empty();
    std::vector<std::string> clean_env{"PATH=/usr/bin:/bin"};
    if (wrapped) {
        if (path.find('=') != std::string::npos) return refuse("program path '" + path + "' has '=' in it");
        args.insert(args.end(), {"/usr/bin/env", "-i"});
        for (auto& e : env_strings) args.push_back(e);
    }
    args.push_back(path);
    for (std::size_t i = 1; i < spec.argv.size(); ++i) args.push_back(spec.argv[i]);
    const std::string exec_path = args.front();
    if (wrapped) env_strings = std::move(clean_env);
    // A working directory of its own, outside the data dir, removed afterwards.
    std::string cwd = spec.cwd;
    std::string scratch;
    if (cwd.empty() && !spec.sandbox.scratch_root.empty()) {
        std::string templ = spec.sandbox.scratch_root + "/ex-XXXXXX";
        if (!::mkdtemp(templ.data()))
            return refuse("scratch directory in '" + spec.sandbox.scratch_root + "': " + std::strerror(errno));
        scratch = cwd = templ;
        if (spec.run_as && ::chown(scratch.c_str(), spec.run_as->uid, spec.run_as->gid) != 0) {
            const std::string why = std::strerror(errno);
            ::rmdir(scratch.c_str());
            return refuse("scratch directory '" + scratch + "': chown: " + why);
        }
    }
    struct Cleanup {
        std::string dir;
        ~Cleanup() {
            std::error_code ignored;
            if (!dir.empty()) std::filesystem::remove_all(dir, ignored);
        }
    } cleanup{scratch};
    std::vector<char*> argv, envp;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);

    int out_pipe[2], in_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
        out.end = ProcessResult::End::failed_to_start;
        out.error = std::string("pipe: ") + std::strerror(errno);
        return out;
    }
    if (::pipe2(in_pipe, O_CLOEXEC) != 0) {
        out.end = ProcessResult::End::failed_to_start;
        out.error = std::string("pipe: ") + std::strerror(errno);
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        return out;
    }
    // posix_spawn, not fork: glibc runs nothing of ours in the child between clone and
    // exec, so a lock another thread held at fork time (malloc's, a sanitizer's) cannot
    // hang it, and an exec failure comes back as posix_spawn's result. The dup2 actions
    // clear O_CLOEXEC on 0, 1 and 2; the pipes' other ends close at exec.
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawnattr_init(&attr);
    ::posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
    ::posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    ::posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 2);
    // Nothing else of the node's (sockets, LMDB, the WAL), close-on-exec or not.
    ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (!cwd.empty()) ::posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
    sigset_t none, all_default;
    sigemptyset(&none);  // the node blocks signals for sigwait: the handler must not inherit that
    sigfillset(&all_default);
    sigdelset(&all_default, SIGKILL);
    sigdelset(&all_default, SIGSTOP);
    ::posix_spawnattr_setsigmask(&attr, &none);
    ::posix_spawnattr_setsigdefault(&attr, &all_default);
    ::posix_spawnattr_setpgroup(&attr, 0);  // its own process group, killed as one
    ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    const int spawned = ::posix_spawn(&pid, exec_path.c_str(), &actions, &attr, argv.data(), envp.data());
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attr);
    ::close(out_pipe[1]);
    ::close(in_pipe[0]);
    if (spawned != 0) {
        ::close(out_pipe[0]);
        ::close(in_pipe[1]);
        out.end = ProcessResult::End::failed_to_start;
        out.error =
            (cwd.empty() ? "exec '" + path + "': " : "exec '" + path + "' in '" + cwd + "': ") + std::strerror(spawned);
        out.duration_ms = elapsed_ms();
        return out;
    }

    // Feed the input (a handler that does not read it gets EPIPE, which is fine).
    ::fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
    std::size_t written = 0;
    int in_fd = in_pipe[1];
    if (spec.input.empty()) {
        ::close(in_fd);
        in_fd = -1;
    }
    Hasher hasher;
    char buf[16384];
    bool open = true;
    while (open) {
        if (cancel.load()) {
            kill_group(pid);
            out.end = ProcessResult::End::cancelled;
            break;
        }
        const std::uint64_t now = elapsed_ms();
        if (now >= spec.timeout_ms) {
            kill_group(pid);
            out.end = ProcessResult::End::timed_out;
            break;
        }
        pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {in_fd, POLLOUT, 0}};
        const int wait = static_cast<int>(std::min<std::uint64_t>(50, spec.timeout_ms - now));
        const int n = ::poll(fds, in_fd >= 0 ? 2 : 1, wait);
        if (n < 0 && errno != EINTR) break;
        if (in_fd >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            const ssize_t w = ::write(in_fd, spec.input.data() + written, spec.input.size() - written);
            if (w > 0) written += static_cast<std::size_t>(w);
            if (w < 0 || written == spec.input.size()) {
                ::close(in_fd);
                in_fd = -1;
            }
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            const ssize_t r = ::read(out_pipe[0], buf, sizeof buf);
            if (r > 0) {
                hasher.add(buf, static_cast<std::size_t>(r));
                const std::size_t room = spec.output_max - std::min(spec.output_max, out.output.size());
                out.output.append(buf, std::min(room, static_cast<std::size_t>(r)));
                if (static_cast<std::size_t>(r) > room) out.truncated = true;
            } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
                open = false;
            }
        }
    }
    if (in_fd >= 0) ::close(in_fd);
    ::close(out_pipe[0]);
    int st = 0;
    // The group leader is reaped here; a timeout or cancel killed the group already.
    if (open) {
        while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
    } else {
        // Output closed: the handler is ending; wait for it, within what is left of its time.
        for (;;) {
            const pid_t w = ::waitpid(pid, &st, WNOHANG);
            if (w == pid || (w < 0 && errno != EINTR)) break;
            if (cancel.load() || elapsed_ms() >= spec.timeout_ms) {
                kill_group(pid);
                out.end = cancel.load() ? ProcessResult::End::cancelled : ProcessResult::End::timed_out;
                while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
                }
                break;
            }
            ::usleep(2000);
        }
        // Whatever it left behind in its group goes with it.
        ::kill(-pid, SIGKILL);
    }
    out.duration_ms = elapsed_ms();
    out.output_hash = hasher.done();
    if (out.end == ProcessResult::End::exited) {
        if (WIFEXITED(st)) {
            out.exit_code = WEXITSTATUS(st);
        } else if (WIFSIGNALED(st)) {
            out.end = ProcessResult::End::signalled;
            out.exit_code = 128 + WTERMSIG(st);
        }
    } else {
        out.exit_code = 128 + SIGKILL;
    }
    return out;
}

}  // namespace raftor::exec
