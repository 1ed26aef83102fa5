#pragma once

namespace turnout::master {

// One line per event on stderr, `ts=… level=… msg="…" key=value` (SPEC §8).
void init_logging();

}  // namespace turnout::master
