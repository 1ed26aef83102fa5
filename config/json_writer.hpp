#pragma once

// JSON text written straight into a string, for the config codec: a whole
// 10,000-route config is hundreds of thousands of values, and building a
// boost::json tree only to serialize it cost a third of an apply's time in
// the master. Keys and values are written in call order; the writer puts
// the commas and colons. Strings are escaped as JSON needs and otherwise
// passed through byte for byte (header values need not be UTF-8; see
// parse_json).

#include <charconv>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

namespace turnout::config {

class JsonWriter {
public:
    explicit JsonWriter(std::string& out) : out_{out} {}

    void begin_object() {
        separate();
        out_ += '{';
        first_ = true;
    }
    void end_object() {
        out_ += '}';
        first_ = false;
    }
    void begin_array() {
        separate();
        out_ += '[';
        first_ = true;
    }
    void end_array() {
        out_ += ']';
        first_ = false;
    }

    // The next value is this key's.
    void key(std::string_view name) {
        separate();
        quoted(name);
        out_ += ':';
        after_key_ = true;
    }

    void string(std::string_view text) {
        separate();
        quoted(text);
    }
    void boolean(bool value) {
        separate();
        out_ += value ? "true" : "false";
    }
    void null() {
        separate();
        out_ += "null";
    }
    template <std::integral Integer>
    requires(!std::same_as<Integer, bool>) void number(Integer value) {
        separate();
        char digits[24];
        const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
        out_.append(digits, end);
    }

private:
    void separate() {
        if (after_key_) {
            after_key_ = false;
        } else if (!first_) {
            out_ += ',';
        }
        first_ = false;
    }

    void quoted(std::string_view text);

    std::string& out_;
    bool first_ = true;       // nothing written yet in the open object or array
    bool after_key_ = false;  // a key was written, its value comes next
};

}  // namespace turnout::config
