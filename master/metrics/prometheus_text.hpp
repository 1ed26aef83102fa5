#pragma once

// Writing Prometheus text exposition format 0.0.4: a family's HELP and TYPE
// lines, then its samples `name{label="value",...} value`, one per line.
// Master::metrics() builds its text from these, then adds the workers'
// series (MetricsAggregator::render_prometheus).

#include "server/histogram.hpp"

#include <initializer_list>
#include <string>
#include <string_view>

namespace turnout::master {

struct Label {
    std::string_view name;
    std::string_view value;
};
using Labels = std::initializer_list<Label>;

// Label values: backslash, double quote and newline escaped as \\, \" and \n.
std::string escape_label_value(std::string_view value);
// HELP text: backslash and newline escaped.
std::string escape_help(std::string_view help);
// A sample value: shortest form that reads back exactly ("3", "0.25"),
// "+Inf", "-Inf" and "NaN" as Prometheus spells them.
std::string format_value(double value);

// The HELP and TYPE lines of a family; `type` is counter, gauge or histogram.
void append_family(std::string& text, std::string_view name, std::string_view type,
                   std::string_view help);
// One sample line.
void append_sample(std::string& text, std::string_view name, Labels labels, double value);
// A histogram's samples: cumulative `name_bucket{...,le="..."}` lines up to
// le="+Inf", then `name_sum` and `name_count`.
void append_histogram_samples(std::string& text, std::string_view name, Labels labels,
                              const server::Histogram& histogram);

// A family with a single series, header included.
void append_gauge(std::string& text, std::string_view name, std::string_view help, Labels labels,
                  double value);
void append_counter(std::string& text, std::string_view name, std::string_view help, Labels labels,
                    double value);
void append_histogram(std::string& text, std::string_view name, std::string_view help,
                      Labels labels, const server::Histogram& histogram);

}  // namespace turnout::master
