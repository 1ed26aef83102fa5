#include "master/metrics/prometheus_text.hpp"

#include <fmt/format.h>

#include <cmath>

namespace turnout::master {

namespace {

std::string escape(std::string_view text, bool quotes) {
    std::string escaped;
    escaped.reserve(text.size());
    for (char c : text) {
        if (c == '\\') {
            escaped += "\\\\";
        } else if (c == '\n') {
            escaped += "\\n";
        } else if (c == '"' && quotes) {
            escaped += "\\\"";
        } else {
            escaped += c;
        }
    }
    return escaped;
}

// `name{labels,le="..."} ` up to the value; `le` empty for none.
void append_series(std::string& text, std::string_view name, Labels labels,
                   std::string_view le = {}) {
    text += name;
    if (labels.size() > 0 || !le.empty()) {
        char separator = '{';
        for (const auto& label : labels) {
            text += separator;
            text += fmt::format("{}=\"{}\"", label.name, escape_label_value(label.value));
            separator = ',';
        }
        if (!le.empty()) {
            text += separator;
            text += fmt::format("le=\"{}\"", le);
        }
        text += '}';
    }
    text += ' ';
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    return escape(value, true);
}

std::string escape_help(std::string_view help) {
    return escape(help, false);
}

std::string format_value(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    return fmt::format("{}", value);
}

void append_family(std::string& text, std::string_view name, std::string_view type,
                   std::string_view help) {
    text += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help), name, type);
}

void append_sample(std::string& text, std::string_view name, Labels labels, double value) {
    append_series(text, name, labels);
    text += format_value(value);
    text += '\n';
}

void append_histogram_samples(std::string& text, std::string_view name, Labels labels,
                              const server::Histogram& histogram) {
    const std::string bucket = fmt::format("{}_bucket", name);
    const auto& bounds = histogram.bounds();
    const auto& counts = histogram.counts();
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        cumulative += counts[i];
        const std::string le = i < bounds.size() ? format_value(bounds[i]) : "+Inf";
        append_series(text, bucket, labels, le);
        text += fmt::format("{}\n", cumulative);
    }
    append_series(text, fmt::format("{}_sum", name), labels);
    text += format_value(histogram.sum()) + '\n';
    append_series(text, fmt::format("{}_count", name), labels);
    text += fmt::format("{}\n", histogram.count());
}

void append_gauge(std::string& text, std::string_view name, std::string_view help, Labels labels,
                  double value) {
    append_family(text, name, "gauge", help);
    append_sample(text, name, labels, value);
}

void append_counter(std::string& text, std::string_view name, std::string_view help, Labels labels,
                    double value) {
    append_family(text, name, "counter", help);
    append_sample(text, name, labels, value);
}

void append_histogram(std::string& text, std::string_view name, std::string_view help,
                      Labels labels, const server::Histogram& histogram) {
    append_family(text, name, "histogram", help);
    append_histogram_samples(text, name, labels, histogram);
}

}  // namespace turnout::master
