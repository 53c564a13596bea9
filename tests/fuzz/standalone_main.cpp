// The driver of a fuzz target without libFuzzer (for `make test`, built by the
// project's compiler): replays its starting inputs and every file of the corpus, then mutates
// them blindly (no coverage feedback) for a few seconds. A crash leaves the input that
// caused it in crash-<target>-<pid>, to replay with `<target> FILE`.
//
//   TARGET [--corpus DIR] [--seconds N] [--seed S] [--write-inputs DIR] [FILE...]
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "tests/fuzz/fuzz.hpp"

namespace {

const std::string* current = nullptr;  // the input being run, for the crash handler
char crash_path[256];

void on_crash(int sig) {
    if (current) {
        const int fd = ::open(crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            (void)!::write(fd, current->data(), current->size());
            ::close(fd);
        }
        const char msg[] = "fuzz: crashed; the input is in ";
        (void)!::write(2, msg, sizeof msg - 1);
        (void)!::write(2, crash_path, std::strlen(crash_path));
        (void)!::write(2, "\n", 1);
    }
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

void run(const std::string& input) {
    current = &input;
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
    current = nullptr;
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// One blind mutation: the kinds libFuzzer starts with, without its feedback.
std::string mutate(std::string s, const std::vector<std::string>& pool, std::mt19937_64& rng) {
    static const std::uint8_t interesting[] = {0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x20, '"', '{', '[', '0', ':', '\n'};
    const int rounds = 1 + static_cast<int>(rng() % 4);
    for (int r = 0; r < rounds; ++r) {
        const std::size_t at = s.empty() ? 0 : rng() % s.size();
        switch (rng() % 7) {
            case 0:
                if (!s.empty()) s[at] = static_cast<char>(s[at] ^ (1u << (rng() % 8)));
                break;
            case 1:
                if (!s.empty()) s[at] = static_cast<char>(interesting[rng() % sizeof interesting]);
                break;
            case 2: {
                std::string bytes(1 + rng() % 8, '\0');
                for (auto& c : bytes) c = static_cast<char>(rng());
                s.insert(at, bytes);
                break;
            }
            case 3:
                if (!s.empty()) s.erase(at, 1 + rng() % std::min<std::size_t>(16, s.size() - at));
                break;
            case 4:
                if (!s.empty()) s.insert(at, s.substr(rng() % s.size(), 1 + rng() % 32));
                break;
            case 5: {
                const std::string& other = pool[rng() % pool.size()];
                if (!other.empty()) s = s.substr(0, at) + other.substr(rng() % other.size());
                break;
            }
            default:
                if (!s.empty() && s.size() >= 8) {  // a little-endian number somewhere
                    const std::size_t p = rng() % (s.size() - 7);
                    const std::uint64_t v = rng() % 3 == 0 ? ~std::uint64_t{0} >> (rng() % 64) : rng() % 1024;
                    std::memcpy(&s[p], &v, (rng() % 2) ? 8 : 4);
                }
        }
    }
    if (s.size() > (64u << 10)) s.resize(64u << 10);
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    std::string name = std::filesystem::path(argv[0]).filename().string();
    std::filesystem::path corpus, write_inputs;
    double seconds = 5;
    std::uint64_t seed = std::random_device{}();
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--corpus" && i + 1 < argc) {
            corpus = argv[++i];
        } else if (a == "--seconds" && i + 1 < argc) {
            seconds = std::atof(argv[++i]);
        } else if (a == "--seed" && i + 1 < argc) {
            seed = std::strtoull(argv[++i], nullptr, 10);
        } else if (a == "--write-inputs" && i + 1 < argc) {
            write_inputs = argv[++i];
        } else if (!a.empty() && a[0] == '-') {
            std::cerr << name << ": unknown option '" << a << "'\n";
            return 2;
        } else {
            files.push_back(a);
        }
    }
    if (!write_inputs.empty()) {
        std::filesystem::create_directories(write_inputs);
        int n = 0;
        for (const auto& s : raftor::fuzz::starting_inputs())
            std::ofstream(write_inputs / ("start-" + std::to_string(n++)), std::ios::binary) << s;
        std::cout << name << ": wrote " << n << " starting inputs to " << write_inputs.string() << "\n";
        return 0;
    }
    std::snprintf(crash_path, sizeof crash_path, "crash-%s-%d", name.c_str(), static_cast<int>(::getpid()));
    for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) ::signal(sig, on_crash);

    if (!files.empty()) {  // replay what was given, nothing else
        for (const auto& f : files) run(read_file(f));
        std::cout << name << ": " << files.size() << " inputs replayed, no crash\n";
        return 0;
    }
    std::vector<std::string> pool = raftor::fuzz::starting_inputs();
    if (!corpus.empty() && std::filesystem::is_directory(corpus))
        for (const auto& e : std::filesystem::directory_iterator(corpus))
            if (e.is_regular_file()) pool.push_back(read_file(e.path()));
    for (const auto& s : pool) run(s);
    const std::size_t replayed = pool.size();
    if (pool.empty()) pool.emplace_back();

    std::mt19937_64 rng(seed);
    std::uint64_t execs = 0;
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
        for (int k = 0; k < 64; ++k, ++execs) run(mutate(pool[rng() % pool.size()], pool, rng));
    }
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << name << ": " << replayed << " corpus inputs replayed, " << execs << " mutated inputs in " << took
              << " s (seed " << seed << "), no crash\n";
    return 0;
}
