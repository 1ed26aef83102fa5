#pragma once

#include <cstdint>
#include <string>

namespace turnout::master {

// "2026-11-24T21:46:29.168Z" for a Unix time in milliseconds.
std::string iso8601_utc(std::int64_t unix_ms);

}  // namespace turnout::master
