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
    if (!attempt_.reused() || fresh_connection_retried_ || !can_send_again()) {
        return false;
    }
    fresh_connection_retried_ = true;
    attempt_.close();
    connect();
    return true;
}

// SPEC §5: another target, while `retries` allow and one is left. Callers
// decide whether the upstream could have acted on the request.
bool ProxyExchange::retry_on_another_target() {
    attempt_.close();
    tried_[*target_] = 1;
    ++attempts_;
    const bool other_target_left = std::find(tried_.begin(), tried_.end(), 0) != tried_.end();
    if (attempts_ > upstream_config_->retries || !other_target_left) {
        return false;
    }
    pick_target();
    return true;
}

// Up to max_replay_bytes of an idempotent request's body are kept as they
// go out, so a retry can send them again; a larger body is not retried.
void ProxyExchange::keep_for_replay(std::size_t size) {
    if (!idempotent_ || replay_overflow_ || size == 0) {
        return;
    }
    if (replay_.size() + size > max_replay_bytes) {
        replay_overflow_ = true;
        std::string{}.swap(replay_);
        return;
    }
    replay_.append(downstream_->body_buffer().data(), size);
}

// Whether the request could go out again as it was: idempotent, and with
// no body, or a body read whole from the client and kept for replay.
bool ProxyExchange::can_send_again() const {
    if (!idempotent_) {
        return false;
    }
    if (request_body_ == RequestBody::none) {
        return true;
    }
    return !replay_overflow_ && downstream_->request_complete() && attempt_.request_sent();
}

// One failed attempt: counts towards the target's ejection and in
// turnout_upstream_errors_total, even when a retry then succeeds.
void ProxyExchange::record_target_failure(UpstreamErrorKind kind) {
    upstream_->record_failure(*target_, ActiveUpstream::clock::now());
    metrics_.record_upstream_error(upstream_config_->name,
                                   upstream_config_->targets[*target_].address.text, kind);
}

}  // namespace turnout::server
