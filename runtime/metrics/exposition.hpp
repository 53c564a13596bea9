#pragma once
// A scrape, rendered: Prometheus text exposition (the runbook's metric names, so its
// alert rules work unchanged) and the runbook's JSON summary (`Accept: application/json`).
#include <prometheus/metric_family.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/metrics/metrics_input.hpp"

namespace raftor::metrics {

std::vector<prometheus::MetricFamily> families_of(const MetricsInput& in);
// Text exposition format 0.0.4.
std::string render_text(const MetricsInput& in);
nlohmann::json render_summary(const MetricsInput& in);

}  // namespace raftor::metrics
