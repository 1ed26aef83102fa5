#include "master/control_plane.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace turnout::master {

// SPEC §4's error shape. `details` is always present (empty when the error
// has no place) so clients can read it without checking; each detail also
// names its `file` when known, which the CLI prints as FILE:LINE:COL.
boost::json::value error_json(const std::string& message, const config::ConfigErrors& details) {
    boost::json::array list;
    for (const auto& detail : details) {
        boost::json::object item;
        if (!detail.file.empty()) {
            item["file"] = detail.file;
        }
        item["line"] = detail.line;
        item["column"] = detail.column;
        item["message"] = detail.message;
        list.push_back(std::move(item));
    }
    return boost::json::object{{"error", message}, {"details", std::move(list)}};
}

}  // namespace turnout::master
