#include <algorithm>
#include <cmath>
#include <iterator>

#include "runtime/metrics/metrics_input.hpp"
#include "runtime/raft/inbound_check.hpp"

namespace raftor::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
    for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
    if constexpr (!enabled) return;
    if (!(v >= 0)) v = 0;  // NaN and negatives (a clock that went back) count as zero
    const auto at = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
    counts_[at].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_millionths_.fetch_add(static_cast<std::uint64_t>(std::llround(v * 1e6)), std::memory_order_relaxed);
}

HistogramFigures Histogram::figures() const {
    HistogramFigures f;
    f.bounds = bounds_;
    f.counts.resize(bounds_.size() + 1);
    for (std::size_t i = 0; i <= bounds_.size(); ++i) f.counts[i] = counts_[i].load(std::memory_order_relaxed);
    // Read apart from the buckets: a scrape in the middle of an observe may be one off,
    // never inconsistent beyond that; the count is made the buckets' sum.
    for (auto c : f.counts) f.count += c;
    f.sum = static_cast<double>(sum_millionths_.load(std::memory_order_relaxed)) / 1e6;
    return f;
}

namespace {
constexpr std::string_view methods[] = {"GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "other"};
std::uint8_t method_index(std::string_view m) {
    std::uint8_t i = 0;
    while (std::size_t(i) + 1 < std::size(methods) && methods[i] != m) ++i;
    return i;
}
}  // namespace

void HttpFigures::record(std::string_view route, std::string_view method, int status, double seconds) {
    if constexpr (!enabled) return;
    const auto key = std::make_tuple(route, method_index(method), status);
    std::lock_guard<std::mutex> lock(mu_);
    auto c = counts_.find(key);
    if (c == counts_.end()) c = counts_.emplace(std::make_tuple(std::string(route), std::get<1>(key), status), 0).first;
    ++c->second;
    auto h = latency_.find(route);
    if (h == latency_.end())
        h = latency_
                .emplace(std::string(route),
                         std::make_unique<Histogram>(std::vector<double>{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                         0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}))
                .first;
    h->second->observe(seconds);
}

std::vector<HttpFigures::Row> HttpFigures::requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Row> out;
    for (const auto& [k, n] : counts_) {
        const int status = std::get<2>(k);
        out.push_back(Row{std::get<0>(k), std::string(methods[std::get<1>(k)]),
                          status == forwarded ? "forwarded" : std::to_string(status), n});
    }
    return out;
}

std::map<std::string, HistogramFigures> HttpFigures::latency() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::string, HistogramFigures> out;
    for (const auto& [route, h] : latency_) out[route] = h->figures();
    return out;
}

}  // namespace raftor::metrics

namespace raftor::metrics {

const char* to_string(WriteStage s) {
    switch (s) {
        case WriteStage::gateway_queue: return "gateway_queue";
        case WriteStage::propose_to_persisted: return "propose_to_persisted";
        case WriteStage::persisted_to_quorum: return "persisted_to_quorum";
        case WriteStage::commit_to_apply: return "commit_to_apply";
        case WriteStage::apply_to_answer: return "apply_to_answer";
    }
    return "?";
}

std::array<std::unique_ptr<Histogram>, write_stage_count> NodeCounters::stage_histograms() {
    std::array<std::unique_ptr<Histogram>, write_stage_count> out;
    for (auto& h : out)
        h = std::make_unique<Histogram>(std::vector<double>{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                            0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1});
    return out;
}

LiveFigures live_figures(const NodeCounters& c) {
    LiveFigures f;
    auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    f.proposals = get(c.proposals);
    f.proposals_refused = get(c.proposals_refused);
    f.elections = get(c.elections);
    f.snapshots = get(c.snapshots);
    f.slow_fsyncs = get(c.slow_fsyncs);
    f.storage_full = get(c.storage_full);
    f.storage_full_errors = get(c.storage_full_errors);
    f.state_store_full = get(c.state_store_full);
    f.self_check_runs = get(c.self_check_runs);
    for (std::size_t i = 0; i < f.self_check_ok.size(); ++i) f.self_check_ok[i] = get(c.self_check_ok[i]);
    f.append_batch = c.append_batch.figures();
    f.fsync_seconds = c.fsync_seconds.figures();
    for (std::size_t s = 0; s < write_stage_count; ++s)
        f.write_stages[to_string(static_cast<WriteStage>(s))] = c.write_stage_seconds[s]->figures();
    f.http_requests = c.http.requests();
    f.http_latency = c.http.latency();
    for (int r = 1; r < raft::refusal_count; ++r)
        f.frames_refused[raft::to_string(static_cast<raft::Refusal>(r))] = get(c.frames_refused[r]);
    for (int t = 0; t < raft::message_type_count; ++t)
        f.bytes_sent[raft::to_string(static_cast<raft::MessageType>(t))] = get(c.bytes_sent[t]);
    return f;
}

}  // namespace raftor::metrics
