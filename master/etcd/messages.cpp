#include "master/etcd/messages.hpp"

#include <boost/beast/core/detail/base64.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>

namespace turnout::master::etcd {

namespace json = boost::json;
namespace base64 = boost::beast::detail::base64;

namespace {

// int64 fields arrive as strings ("42"); absent means 0. nullopt when the
// field is there but no integer.
std::optional<std::int64_t> int_field(const json::object& object, std::string_view name) {
    const auto* value = object.if_contains(name);
    if (!value) {
        return 0;
    }
    if (value->is_int64()) {
        return value->as_int64();
    }
    if (!value->is_string()) {
        return std::nullopt;
    }
    const auto& text = value->get_string();
    std::int64_t number = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return number;
}

std::optional<std::string> bytes_field(const json::object& object, std::string_view name) {
    const auto* value = object.if_contains(name);
    if (!value) {
        return std::string{};
    }
    if (!value->is_string()) {
        return std::nullopt;
    }
    return base64_decode(value->get_string());
}

std::optional<std::int64_t> header_revision(const json::object& answer) {
    const auto* header = answer.if_contains("header");
    if (!header || !header->is_object()) {
        return 0;
    }
    return int_field(header->get_object(), "revision");
}

std::optional<KeyValue> parse_kv(const json::value& value) {
    if (!value.is_object()) {
        return std::nullopt;
    }
    const auto& object = value.get_object();
    auto key = bytes_field(object, "key");
    auto content = bytes_field(object, "value");
    auto create = int_field(object, "create_revision");
    auto mod = int_field(object, "mod_revision");
    auto version = int_field(object, "version");
    auto lease = int_field(object, "lease");
    if (!key || !content || !create || !mod || !version || !lease) {
        return std::nullopt;
    }
    return KeyValue{std::move(*key), std::move(*content), *create, *mod, *version, *lease};
}

std::optional<std::vector<KeyValue>> parse_kvs(const json::object& object) {
    std::vector<KeyValue> kvs;
    const auto* list = object.if_contains("kvs");
    if (!list) {
        return kvs;
    }
    if (!list->is_array()) {
        return std::nullopt;
    }
    for (const auto& item : list->get_array()) {
        auto kv = parse_kv(item);
        if (!kv) {
            return std::nullopt;
        }
        kvs.push_back(std::move(*kv));
    }
    return kvs;
}

bool flag(const json::object& object, std::string_view name) {
    const auto* value = object.if_contains(name);
    return value && value->is_bool() && value->get_bool();
}

const char* target_name(Compare::Target target) {
    switch (target) {
    case Compare::Target::version:
        return "VERSION";
    case Compare::Target::create_revision:
        return "CREATE";
    case Compare::Target::mod_revision:
        return "MOD";
    case Compare::Target::value:
        return "VALUE";
    }
    return "MOD";
}

const char* result_name(Compare::Result result) {
    switch (result) {
    case Compare::Result::equal:
        return "EQUAL";
    case Compare::Result::greater:
        return "GREATER";
    case Compare::Result::less:
        return "LESS";
    case Compare::Result::not_equal:
        return "NOT_EQUAL";
    }
    return "EQUAL";
}

json::object compare_json(const Compare& compare) {
    json::object object{{"key", base64_encode(compare.key)},
                        {"target", target_name(compare.target)},
                        {"result", result_name(compare.result)}};
    if (!compare.range_end.empty()) {
        object["range_end"] = base64_encode(compare.range_end);
    }
    switch (compare.target) {
    case Compare::Target::version:
        object["version"] = std::to_string(compare.number);
        break;
    case Compare::Target::create_revision:
        object["create_revision"] = std::to_string(compare.number);
        break;
    case Compare::Target::mod_revision:
        object["mod_revision"] = std::to_string(compare.number);
        break;
    case Compare::Target::value:
        object["value"] = base64_encode(compare.value);
        break;
    }
    return object;
}

json::object op_json(const TxnOp& op) {
    switch (op.kind) {
    case TxnOp::Kind::put: {
        json::object put{{"key", base64_encode(op.key)}, {"value", base64_encode(op.value)}};
        if (op.lease != 0) {
            put["lease"] = std::to_string(op.lease);
        }
        return {{"request_put", std::move(put)}};
    }
    case TxnOp::Kind::delete_key:
        return {{"request_delete_range", json::object{{"key", base64_encode(op.key)}}}};
    case TxnOp::Kind::delete_prefix:
        return {{"request_delete_range",
                 json::object{{"key", base64_encode(op.key)},
                              {"range_end", base64_encode(prefix_end(op.key))}}}};
    case TxnOp::Kind::range:
        return {{"request_range", json::object{{"key", base64_encode(op.key)}}}};
    }
    return {};
}

json::array ops_json(const std::vector<TxnOp>& ops) {
    json::array array;
    for (const auto& op : ops) {
        array.push_back(op_json(op));
    }
    return array;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out(base64::encoded_size(bytes.size()), '\0');
    out.resize(base64::encode(out.data(), bytes.data(), bytes.size()));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    std::size_t padding = 0;
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
        ++padding;
    }
    std::string out(base64::decoded_size(text.size()), '\0');
    auto [written, read] = base64::decode(out.data(), text.data(), text.size() - padding);
    if (read != text.size() - padding) {
        return std::nullopt;
    }
    out.resize(written);
    return out;
}

std::string prefix_end(std::string_view prefix) {
    std::string end{prefix};
    while (!end.empty()) {
        auto& last = reinterpret_cast<unsigned char&>(end.back());
        if (last < 0xff) {
            ++last;
            return end;
        }
        end.pop_back();
    }
    return std::string(1, '\0');  // every key: etcd's "from key to the end"
}

json::object range_request(std::string_view key, std::string_view range_end, std::int64_t revision,
                           std::int64_t limit) {
    json::object body{{"key", base64_encode(key)}, {"range_end", base64_encode(range_end)}};
    if (revision > 0) {
        body["revision"] = std::to_string(revision);
    }
    if (limit > 0) {
        body["limit"] = std::to_string(limit);
    }
    return body;
}

std::optional<RangeResult> parse_range(const json::value& answer) {
    if (!answer.is_object()) {
        return std::nullopt;
    }
    const auto& object = answer.get_object();
    auto revision = header_revision(object);
    auto kvs = parse_kvs(object);
    if (!revision || !kvs) {
        return std::nullopt;
    }
    return RangeResult{*revision, std::move(*kvs), flag(object, "more")};
}

json::object txn_request(const Txn& txn) {
    json::array compare;
    for (const auto& item : txn.compare) {
        compare.push_back(compare_json(item));
    }
    return {{"compare", std::move(compare)},
            {"success", ops_json(txn.success)},
            {"failure", ops_json(txn.failure)}};
}

std::optional<TxnResult> parse_txn(const json::value& answer) {
    if (!answer.is_object()) {
        return std::nullopt;
    }
    const auto& object = answer.get_object();
    auto revision = header_revision(object);
    if (!revision) {
        return std::nullopt;
    }
    TxnResult result{*revision, flag(object, "succeeded"), {}};
    const auto* responses = object.if_contains("responses");
    if (responses && responses->is_array()) {
        for (const auto& response : responses->get_array()) {
            const auto* range = response.is_object()
                                    ? response.get_object().if_contains("response_range")
                                    : nullptr;
            if (range && range->is_object()) {
                auto kvs = parse_kvs(range->get_object());
                if (!kvs) {
                    return std::nullopt;
                }
                result.ranges.push_back(std::move(*kvs));
            }
        }
    }
    return result;
}

std::optional<Lease> parse_lease(const json::value& answer) {
    if (!answer.is_object()) {
        return std::nullopt;
    }
    const auto* result = answer.get_object().if_contains("result");
    const auto& object = result && result->is_object() ? result->get_object() : answer.get_object();
    auto id = int_field(object, "ID");
    auto ttl = int_field(object, "TTL");
    if (!id || !ttl) {
        return std::nullopt;
    }
    return Lease{*id, *ttl};
}

json::object watch_request(std::string_view prefix, std::int64_t start_revision) {
    return {{"create_request", json::object{{"key", base64_encode(prefix)},
                                            {"range_end", base64_encode(prefix_end(prefix))},
                                            {"start_revision", std::to_string(start_revision)},
                                            {"progress_notify", true}}}};
}

std::optional<WatchResponse> parse_watch(std::string_view text, std::string& error) {
    boost::system::error_code ec;
    auto value = json::parse(text, ec);
    if (ec || !value.is_object()) {
        error = "a watch message is not JSON: " + ec.message();
        return std::nullopt;
    }
    if (const auto* failure = value.get_object().if_contains("error")) {
        error = "etcd ended the watch: " + error_message(json::serialize(*failure));
        return std::nullopt;
    }
    const auto* result = value.get_object().if_contains("result");
    if (!result || !result->is_object()) {
        error = "a watch message has no result";
        return std::nullopt;
    }
    const auto& object = result->get_object();
    WatchResponse response;
    auto revision = header_revision(object);
    auto compact = int_field(object, "compact_revision");
    if (!revision || !compact) {
        error = "a watch message has a revision that is no integer";
        return std::nullopt;
    }
    response.revision = *revision;
    response.compact_revision = *compact;
    response.created = flag(object, "created");
    response.canceled = flag(object, "canceled");
    if (const auto* reason = object.if_contains("cancel_reason"); reason && reason->is_string()) {
        response.cancel_reason = reason->get_string();
    }
    if (const auto* events = object.if_contains("events"); events && events->is_array()) {
        for (const auto& item : events->get_array()) {
            const auto* kv = item.is_object() ? item.get_object().if_contains("kv") : nullptr;
            auto parsed = kv ? parse_kv(*kv) : std::nullopt;
            if (!parsed) {
                error = "a watch event does not decode";
                return std::nullopt;
            }
            const auto* type = item.get_object().if_contains("type");
            const bool deleted = type && type->is_string() && type->get_string() == "DELETE";
            response.events.push_back(
                {deleted ? WatchEvent::Type::delete_key : WatchEvent::Type::put,
                 std::move(*parsed)});
        }
    }
    return response;
}

std::string error_message(std::string_view body) {
    boost::system::error_code ec;
    auto value = json::parse(body, ec);
    if (!ec && value.is_object()) {
        for (const char* name : {"message", "error"}) {
            if (const auto* field = value.get_object().if_contains(name);
                field && field->is_string()) {
                return std::string{field->get_string()};
            }
        }
    }
    return std::string{body.substr(0, 200)};
}

}  // namespace turnout::master::etcd
