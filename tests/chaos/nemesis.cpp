#include "tests/chaos/nemesis.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace raftor::chaos {

const char* to_string(Kind k) {
    switch (k) {
        case Kind::isolate_leader: return "isolate-leader";
        case Kind::split: return "split";
        case Kind::asymmetric: return "asymmetric";
        case Kind::kill: return "kill";
        case Kind::pause: return "pause";
        case Kind::disk_full: return "disk-full";
        case Kind::clock_jump: return "clock-jump";
    }
    return "?";
}

std::vector<Kind> all_kinds() {
    return {Kind::isolate_leader, Kind::split,     Kind::asymmetric, Kind::kill,
            Kind::pause,          Kind::disk_full, Kind::clock_jump};
}

std::vector<Kind> parse_kinds(const std::string& list) {
    std::vector<Kind> out;
    std::stringstream in(list);
    std::string name;
    while (std::getline(in, name, ',')) {
        if (name == "all") {
            for (auto k : all_kinds()) out.push_back(k);
            continue;
        }
        if (name == "partition") {
            out.insert(out.end(), {Kind::isolate_leader, Kind::split, Kind::asymmetric});
            continue;
        }
        bool found = false;
        for (auto k : all_kinds())
            if (name == to_string(k)) out.push_back(k), found = true;
        if (!found)
            throw std::invalid_argument("unknown nemesis '" + name +
                                        "' (isolate-leader, split, asymmetric, partition, kill, pause, disk-full, "
                                        "clock-jump, all)");
    }
    if (out.empty()) throw std::invalid_argument("no nemesis named");
    return out;
}

int Nemesis::target_leader() {
    if (auto l = c_.leader()) return *l;
    std::vector<int> up;
    for (int i = 0; i < c_.size(); ++i)
        if (c_.running(i) && !c_.paused(i)) up.push_back(i);
    if (up.empty()) return 0;
    return up[std::uniform_int_distribution<std::size_t>(0, up.size() - 1)(rng_)];
}

// Rules in a's namespace: drop what comes from b (in) and what goes to b (out).
void Nemesis::cut(int a, int b, bool in, bool out) {
    if (in) c_.iptables(a, {"-A", "INPUT", "-s", c_.ip(b), "-j", "DROP"});
    if (out) c_.iptables(a, {"-A", "OUTPUT", "-d", c_.ip(b), "-j", "DROP"});
}

Fault Nemesis::begin(Kind k) {
    Fault f;
    f.kind = k;
    std::ostringstream text;
    text << to_string(k) << " ";
    switch (k) {
        case Kind::isolate_leader: {
            const int l = target_leader();
            for (int o = 0; o < c_.size(); ++o)
                if (o != l) cut(l, o, true, true);
            f.nodes = {l};
            text << c_.name(l);
            break;
        }
        case Kind::split: {
            std::vector<int> all(static_cast<std::size_t>(c_.size()));
            for (int i = 0; i < c_.size(); ++i) all[static_cast<std::size_t>(i)] = i;
            std::shuffle(all.begin(), all.end(), rng_);
            const auto minority = static_cast<std::size_t>((c_.size() - 1) / 2);
            std::vector<int> few(all.begin(), all.begin() + static_cast<long>(minority));
            std::sort(few.begin(), few.end());
            for (int a : few)
                for (int b = 0; b < c_.size(); ++b)
                    if (std::find(few.begin(), few.end(), b) == few.end()) cut(a, b, true, true);
            f.nodes = few;
            text << "{";
            for (std::size_t i = 0; i < few.size(); ++i) text << (i ? "," : "") << c_.name(few[i]);
            text << "} | {";
            bool first = true;
            for (int b = 0; b < c_.size(); ++b)
                if (std::find(few.begin(), few.end(), b) == few.end())
                    text << (first ? "" : ",") << c_.name(b), first = false;
            text << "}";
            break;
        }
        case Kind::asymmetric: {
            const int l = target_leader();
            const bool deaf = std::bernoulli_distribution(0.5)(rng_);
            for (int o = 0; o < c_.size(); ++o)
                if (o != l) cut(l, o, deaf, !deaf);
            f.nodes = {l};
            text << c_.name(l) << (deaf ? " hears no one" : " is heard by no one");
            break;
        }
        case Kind::kill: {
            const int t = std::bernoulli_distribution(2.0 / 3)(rng_)
                              ? target_leader()
                              : std::uniform_int_distribution<int>(0, c_.size() - 1)(rng_);
            c_.mark(t, "SIGKILL");
            c_.kill(t);
            f.nodes = {t};
            text << c_.name(t);
            break;
        }
        case Kind::pause: {
            const int l = target_leader();
            c_.mark(l, "SIGSTOP");
            c_.pause(l);
            f.nodes = {l};
            text << c_.name(l);
            break;
        }
        case Kind::disk_full: {
            const int l = target_leader();
            const auto bytes = c_.fill_disk(l);
            c_.mark(l, "disk filled");
            f.nodes = {l};
            text << c_.name(l) << " (+" << bytes / 1024 << " KiB)";
            break;
        }
        case Kind::clock_jump: {
            const int l = target_leader();
            f.clock_s = std::bernoulli_distribution(0.5)(rng_) ? 20 : -20;
            c_.set_clock_offset(l, f.clock_s);
            c_.mark(l, "wall clock " + std::to_string(f.clock_s) + " s");
            f.nodes = {l};
            text << c_.name(l) << " " << (f.clock_s > 0 ? "+" : "") << f.clock_s << " s";
            break;
        }
    }
    for (int n : f.nodes) c_.mark(n, "nemesis " + text.str());
    f.text = text.str();
    return f;
}

void Nemesis::heal(const Fault& f) {
    switch (f.kind) {
        case Kind::isolate_leader:
        case Kind::split:
        case Kind::asymmetric:
            for (int i = 0; i < c_.size(); ++i) c_.flush_rules(i);
            break;
        case Kind::kill:
            for (int n : f.nodes)
                if (!c_.running(n)) c_.start(n);
            break;
        case Kind::pause:
            for (int n : f.nodes) c_.resume(n);
            break;
        case Kind::disk_full:
            for (int n : f.nodes) c_.unfill_disk(n);
            break;
        case Kind::clock_jump:
            for (int n : f.nodes) c_.set_clock_offset(n, 0);
            break;
    }
    for (int n : f.nodes) c_.mark(n, "healed " + f.text);
}

void Nemesis::heal_all() {
    for (int i = 0; i < c_.size(); ++i) {
        c_.flush_rules(i);
        c_.unfill_disk(i);
        c_.set_clock_offset(i, 0);
        if (c_.paused(i)) c_.resume(i);
        if (!c_.running(i)) c_.start(i);
    }
}

}  // namespace raftor::chaos
