#ifndef A0_SHA256_H
#define A0_SHA256_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the x86 SHA extensions (with SSSE3 and SSE4.1), so
/// the block functions below may be called; 0 otherwise, and on other
/// architectures, where a0 hashes with swift-crypto alone.
int a0_sha256_hw_available(void);

/// Runs the SHA-256 compression function over `blocks` 64-byte blocks at
/// `data`, updating `state` (the eight working words a..h).
void a0_sha256_hw_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/// The same over two independent messages at once, `blocks` blocks of each.
/// One message's rounds are a chain of dependent instructions that leaves
/// the SHA unit idle between them; interleaving a second message fills those
/// gaps, so two files hash in little more than the time of one.
void a0_sha256_hw_blocks_x2(uint32_t first[8], const uint8_t *firstData, uint32_t second[8],
                            const uint8_t *secondData, size_t blocks);
#endif
