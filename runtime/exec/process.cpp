#include "runtime/exec/process.hpp"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>

namespace raftor::exec {

namespace {

std::string resolve(const std::string& name, const std::map<std::string, std::string>& env) {
    if (name.find('/') != std::string::npos) return name;
    auto it = env.find("PATH");
    std::string path = it != env.end() ? it->second : "/usr/local/bin:/usr/bin:/bin";
    std::size_t pos = 0;
    while (pos <= path.size()) {
        const std::size_t colon = path.find(':', pos);
        std::string dir = path.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
        if (dir.empty()) dir = ".";
        const std::string candidate = dir + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        if (colon == std::string::npos) break;
        pos = colon + 1;
    }
    return {};
}

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
    const std::string path = resolve(spec.argv[0], spec.env);
    if (path.empty()) {
        out.end = ProcessResult::End::failed_to_start;
        out.error = "'" + spec.argv[0] + "' is not an executable in PATH";
        return out;
    }
    // Everything the child needs is built before fork: after it, only exec-safe calls.
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : spec.env) env_strings.push_back(k + "=" + v);
    if (!spec.env.count("PATH")) env_strings.push_back("PATH=/usr/local/bin:/usr/bin:/bin");
    std::vector<char*> argv, envp;
    for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);

    int out_pipe[2], in_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(in_pipe, O_CLOEXEC) != 0) {
        out.end = ProcessResult::End::failed_to_start;
        out.error = std::string("pipe: ") + std::strerror(errno);
        return out;
    }
    // The child reports an exec failure through this pipe (closed on a successful exec).
    int err_pipe[2];
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        out.end = ProcessResult::End::failed_to_start;
        out.error = std::string("pipe: ") + std::strerror(errno);
        return out;
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        out.end = ProcessResult::End::failed_to_start;
        out.error = std::string("fork: ") + std::strerror(errno);
        for (int fd : {out_pipe[0], out_pipe[1], in_pipe[0], in_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
        return out;
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the node blocks signals for sigwait
        ::dup2(in_pipe[0], 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(out_pipe[1], 2);
        int code = 0;
        if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) {
            code = errno;
        } else {
            ::execve(path.c_str(), argv.data(), envp.data());
            code = errno;
        }
        [[maybe_unused]] auto w = ::write(err_pipe[1], &code, sizeof code);
        ::_exit(127);
    }
    ::setpgid(pid, pid);  // both sides set it: no race with an early kill
    ::close(out_pipe[1]);
    ::close(in_pipe[0]);
    ::close(err_pipe[1]);
    int child_errno = 0;
    if (::read(err_pipe[0], &child_errno, sizeof child_errno) == sizeof child_errno) {
        ::close(err_pipe[0]);
        ::close(out_pipe[0]);
        ::close(in_pipe[1]);
        int st = 0;
        ::waitpid(pid, &st, 0);
        out.end = ProcessResult::End::failed_to_start;
        out.error = (spec.cwd.empty() ? "exec '" + path + "': " : "exec '" + path + "' in '" + spec.cwd + "': ") +
                    std::strerror(child_errno);
        out.duration_ms = elapsed_ms();
        return out;
    }
    ::close(err_pipe[0]);

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
