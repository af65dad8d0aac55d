// The invariant check of the fuzz targets: on failure it names the broken invariant and aborts,
// which both libFuzzer and our driver (fuzz_driver.cc) report as a crash with the input saved.
// Thread-safety: stateless.
#pragma once

#include <cstdio>
#include <cstdlib>

#define VIGIL_FUZZ_CHECK(cond)                                                               \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)
