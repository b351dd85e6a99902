// SHA-256 block functions with the x86 SHA extensions (FIPS 180-4, §6.2.2),
// in the register layout Intel's SHA extensions paper describes: the state
// as ABEF/CDGH, four rounds of message schedule per 128-bit register.
#include "a0_sha256.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int a0_sha256_hw_available(void) {
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
  const int ssse3 = (ecx >> 9) & 1, sse41 = (ecx >> 19) & 1;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
  const int sha = (ebx >> 29) & 1;
  return ssse3 && sse41 && sha;
}

static const uint32_t roundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define A0_SHA_TARGET __attribute__((target("sha,sse4.1,ssse3"), always_inline)) static inline

// a b c d / e f g h  ->  ABEF / CDGH
A0_SHA_TARGET void loadState(const uint32_t state[8], __m128i *abef, __m128i *cdgh) {
  __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)state), 0xB1);
  __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(state + 4)), 0x1B);
  *abef = _mm_alignr_epi8(dcba, efgh, 8);
  *cdgh = _mm_blend_epi16(efgh, dcba, 0xF0);
}

A0_SHA_TARGET void storeState(uint32_t state[8], __m128i abef, __m128i cdgh) {
  __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
  __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
  _mm_storeu_si128((__m128i *)state, _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_storeu_si128((__m128i *)(state + 4), _mm_alignr_epi8(dchg, feba, 8));
}

// Message words 4i..4i+3: loaded big-endian for the first four groups, then
// W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16] over the last four.
A0_SHA_TARGET __m128i schedule(__m128i w[4], int group, const uint8_t *block) {
  const __m128i byteSwap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i words;
  if (group < 4) {
    words = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 16 * group)), byteSwap);
  } else {
    __m128i sum = _mm_add_epi32(_mm_sha256msg1_epu32(w[group & 3], w[(group + 1) & 3]),
                                _mm_alignr_epi8(w[(group + 3) & 3], w[(group + 2) & 3], 4));
    words = _mm_sha256msg2_epu32(sum, w[(group + 3) & 3]);
  }
  w[group & 3] = words;
  return words;
}

A0_SHA_TARGET void fourRounds(__m128i *abef, __m128i *cdgh, __m128i words, int group) {
  __m128i input = _mm_add_epi32(words, _mm_loadu_si128((const __m128i *)(roundConstants + 4 * group)));
  *cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, input);
  *abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32(input, 0x0E));
}

__attribute__((target("sha,sse4.1,ssse3"))) void a0_sha256_hw_blocks(uint32_t state[8], const uint8_t *data,
                                                                       size_t blocks) {
  __m128i abef, cdgh;
  loadState(state, &abef, &cdgh);
  for (; blocks > 0; blocks--, data += 64) {
    const __m128i savedABEF = abef, savedCDGH = cdgh;
    __m128i w[4];
#pragma clang loop unroll(full)
    for (int group = 0; group < 16; group++) fourRounds(&abef, &cdgh, schedule(w, group, data), group);
    abef = _mm_add_epi32(abef, savedABEF);
    cdgh = _mm_add_epi32(cdgh, savedCDGH);
  }
  storeState(state, abef, cdgh);
}

__attribute__((target("sha,sse4.1,ssse3"))) void a0_sha256_hw_blocks_x2(uint32_t first[8],
                                                                          const uint8_t *firstData,
                                                                          uint32_t second[8],
                                                                          const uint8_t *secondData,
                                                                          size_t blocks) {
  __m128i abef1, cdgh1, abef2, cdgh2;
  loadState(first, &abef1, &cdgh1);
  loadState(second, &abef2, &cdgh2);
  for (; blocks > 0; blocks--, firstData += 64, secondData += 64) {
    const __m128i saved1 = abef1, saved2 = cdgh1, saved3 = abef2, saved4 = cdgh2;
    __m128i w1[4], w2[4];
#pragma clang loop unroll(full)
    for (int group = 0; group < 16; group++) {
      __m128i words1 = schedule(w1, group, firstData);
      __m128i words2 = schedule(w2, group, secondData);
      fourRounds(&abef1, &cdgh1, words1, group);
      fourRounds(&abef2, &cdgh2, words2, group);
    }
    abef1 = _mm_add_epi32(abef1, saved1);
    cdgh1 = _mm_add_epi32(cdgh1, saved2);
    abef2 = _mm_add_epi32(abef2, saved3);
    cdgh2 = _mm_add_epi32(cdgh2, saved4);
  }
  storeState(first, abef1, cdgh1);
  storeState(second, abef2, cdgh2);
}

#else
#include <stdlib.h>

int a0_sha256_hw_available(void) { return 0; }
// Never called where a0_sha256_hw_available() is 0.
void a0_sha256_hw_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) { abort(); }
void a0_sha256_hw_blocks_x2(uint32_t first[8], const uint8_t *firstData, uint32_t second[8],
                            const uint8_t *secondData, size_t blocks) {
  abort();
}
#endif
