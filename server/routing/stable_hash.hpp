#pragma once

// Hashes that are the same in every process, build and run (unlike
// std::hash), for keys that must land on the same side or target after a
// restart or in another worker: sticky splits and the hash balancer.

#include <cstdint>
#include <string_view>

namespace turnout::server {

// murmur3's 64-bit finalizer: every input bit affects every output bit.
constexpr std::uint64_t mix64(std::uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

// FNV-1a 64 of the bytes, then mix64 so that short keys differ in the low
// bits too. Part of the contract: changing it moves every sticky client and
// every hashed key.
constexpr std::uint64_t stable_hash(std::string_view key) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (char c : key) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ull;
    }
    return mix64(h);
}

}  // namespace turnout::server
