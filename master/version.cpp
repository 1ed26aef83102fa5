#include "master/version.hpp"

// CMakeLists.txt defines it for this file alone, so a new version
// recompiles one file.
#ifndef TURNOUT_VERSION
#error "TURNOUT_VERSION is not defined: build with CMake (CMakeLists.txt sets it)"
#endif

namespace turnout::master {

std::string_view turnout_version() {
    return TURNOUT_VERSION;
}

}  // namespace turnout::master
