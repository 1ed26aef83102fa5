// The retry decisions of ProxyExchange, in one place: when a request may be
// sent again, on a fresh connection or to another target, and the body kept
// so it can be. An UpstreamAttempt only reports what went wrong; these
// decide what happens next.

#include "server/proxy_exchange.hpp"

#include <algorithm>

namespace turnout::server {

// A pooled connection the target closed while parked fails on first use.
// That says nothing about the target, so an idempotent request with no body
// (nothing consumed from the client that could not be sent again) gets one
// more try on a new connection to the same target.
bool ProxyExchange::retry_on_fresh_connection() {
    if (!attempt_.reused() || current_.fresh_connection_retried || !can_send_again()) {
        return false;
    }
    current_.fresh_connection_retried = true;
    attempt_.close();
    connect();
    return true;
}

// SPEC §5: another target, while `retries` allow and one is left. Callers
// decide whether the upstream could have acted on the request.
bool ProxyExchange::retry_on_another_target() {
    attempt_.close();
    current_.tried[*current_.target] = 1;
    const bool other_target_left =
        std::find(current_.tried.begin(), current_.tried.end(), 0) != current_.tried.end();
    if (current_.retries >= current_.upstream_config->retries || !other_target_left) {
        return false;
    }
    // Counted only once it happens: the access log's `attempts` is the
    // tries made, not the ones considered.
    ++current_.retries;
    pick_target();
    return true;
}

// Up to max_replay_bytes of an idempotent request's body are kept as they
// go out, so a retry can send them again; a larger body is not retried.
void ProxyExchange::keep_for_replay(std::size_t size) {
    if (!current_.idempotent || current_.replay_overflow || size == 0) {
        return;
    }
    if (current_.replay.size() + size > max_replay_bytes) {
        current_.replay_overflow = true;
        std::string{}.swap(current_.replay);
        return;
    }
    current_.replay.append(current_.downstream->body_buffer().data(), size);
}

// Whether the request could go out again as it was: idempotent, and with
// no body, or a body read whole from the client and kept for replay.
bool ProxyExchange::can_send_again() const {
    if (!current_.idempotent) {
        return false;
    }
    if (current_.request_body == RequestBody::none) {
        return true;
    }
    return !current_.replay_overflow && current_.downstream->request_complete() &&
           attempt_.request_sent();
}

// One failed attempt: counts towards the target's ejection and in
// turnout_upstream_errors_total, even when a retry then succeeds.
void ProxyExchange::record_target_failure(UpstreamErrorKind kind) {
    current_.upstream->record_failure(*current_.target, ActiveUpstream::clock::now());
    current_.metrics->record_upstream_error(
        current_.upstream_config->name,
        current_.upstream_config->targets[*current_.target].address.text, kind);
}

}  // namespace turnout::server
